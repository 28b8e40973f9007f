//! The private PostgreSQL fixture ([`crate::support::postgres::PrivatePostgres`]) itself: it
//! starts, answers queries, keeps what it is given, and is gone after drop.
use std::net::TcpStream;

use crate::support::postgres::PrivatePostgres;

#[test]
fn a_private_postgres_server_answers_queries_keeps_a_table_and_is_gone_after_drop() {
    let Some(pg) = PrivatePostgres::start() else {
        return;
    };
    let port = pg.port();
    assert_eq!(pg.url(), format!("postgres://postgres@127.0.0.1:{port}/postgres"));

    let version = pg.psql("select version()");
    assert!(version.starts_with("PostgreSQL "), "select version() said {version:?}");

    pg.psql("create table public.fixture_check (id int primary key, name text not null)");
    pg.psql("insert into public.fixture_check values (1, 'alice'), (2, 'bob')");
    assert_eq!(pg.psql("select id, name from public.fixture_check order by id"), "1|alice\n2|bob");
    assert_eq!(
        pg.psql("select table_schema from information_schema.tables where table_name = 'fixture_check'"),
        "public"
    );

    drop(pg);
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err(), "the server still listens on {port} after drop");
}
