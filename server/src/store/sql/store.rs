//! What the areas share: the write transaction, closing the pools, and the [`Store`] trait
//! itself (each area's trait is implemented in the file of its name).

use async_trait::async_trait;

use super::{BEGIN_WRITE, Backend, Db, NAME};
use crate::store::{Store, StoreResult};

impl Backend {
    /// A transaction that will write, begun with the backend's [`BEGIN_WRITE`].
    pub(super) async fn begin_write(&self) -> StoreResult<sqlx::Transaction<'static, Db>> {
        Ok(self.writer.begin_with(BEGIN_WRITE).await?)
    }

    /// Closes the pools, waiting for connections in use.
    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }
}

#[async_trait]
impl Store for Backend {
    fn backend(&self) -> &'static str {
        NAME
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }
}
