-- answers: Where does the analysis window (analysis_window.sql: the frames' time span, outlying timestamps left out) start and end, in nanoseconds since the epoch? NULL when no frame has a timestamp.
-- reads: analysis_window
-- columns: start_ns, end_ns
SELECT start_ns, end_ns FROM analysis_window;
