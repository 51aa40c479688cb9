//! The store's role traits on SQLite, one file per group of roles.

use super::*;

mod channel;
mod conversations;
mod directory;
