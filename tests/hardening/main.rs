//! Hardening suite: torn-read checks under heavy rotation, a property-based corpus of bad
//! requests, the tmpfs size cap, and log/permission hygiene, one module per topic. Real tmpfs
//! mounts: needs root (tests print a SKIP line otherwise). Numbers measured here are recorded in
//! docs/hardening.md.

mod bad_input;
mod corpus;
mod limits;
mod torn_reads;
