//! Arrow tables: their declaration ([`schema`]) and the builders that fill them.

pub mod builders;
pub mod columns;
pub mod rdma;
pub mod schema;
pub mod smb;
pub mod streams;
pub mod text;
