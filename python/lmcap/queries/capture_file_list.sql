-- answers: Which files were read, in which format and compression, how many frames and bytes each gave, and where (byte offset) and why reading stopped early, if it did?
-- reads: capture_files
-- columns: file_index, path, format, compression, link_types, packets, bytes_read, error_kind, error_offset, error_message
SELECT file_index, path, format, compression, link_types, packets, bytes_read,
       error_kind, error_offset, error_message
FROM capture_files
ORDER BY file_index;
