//! Directory source (to be written).
