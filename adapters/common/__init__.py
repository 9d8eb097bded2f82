"""What every source package shares: the retry policy, the fan-out loop, TLS error wording and
the recording folder's file names (read by replay, written by the recorders)."""
