-- answers: Which snapshot lengths (snaplen) do the capture files declare, smallest first?
-- reads: capture_files
-- columns: snaplen
SELECT DISTINCT snaplen FROM capture_files WHERE snaplen IS NOT NULL ORDER BY snaplen;
