//! edge-host
