//! Support for Samanvaya's end-to-end tests. The tests themselves live in `tests/tests/`; the
//! `stress-writer` binary is the child process that the kill-loop test kills mid-write.
