use vigilo_core::OrgName;
use vigilo_store::crypto::KekSource;
use vigilo_store::{Actor, Org, Store, StoreOptions};
use vigilo_test_support::TestDb;

pub fn kek_source(db: &TestDb) -> KekSource {
    KekSource::File(db.data_dir().join("keys").join("kek"))
}

pub async fn open(db: &TestDb) -> Store {
    Store::open(&StoreOptions::new(db.url.clone(), kek_source(db)))
        .await
        .expect("open store")
}

pub async fn org(store: &Store, name: &str) -> Org {
    store
        .create_org(
            &Actor::system(),
            &OrgName::parse(name).unwrap(),
            name,
            false,
        )
        .await
        .expect("create org")
}
