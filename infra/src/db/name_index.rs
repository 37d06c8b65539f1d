//! The name index of `minor_name_keys` (key scheme `domain::matching::INDEX_VERSION`): written with
//! each change of a record, rebuilt whole when the scheme changes, and looked up by search.

use std::collections::HashMap;

use anyhow::Context;
use chrono::{Datelike, NaiveDate};
use diesel::prelude::*;
use domain::matching::{INDEX_VERSION, KeyQuery, index_keys};
use domain::minor::MinorData;

use super::schema::{minor_name_keys, minors, name_index};
use super::{Database, DbConnection};

/// Records re-keyed per transaction when the index is rebuilt.
const REBUILD_BATCH: i64 = 1_000;

/// Replaces the name keys of a record with those of `data`, each with the record's date of birth.
pub(super) fn write_name_keys(
    conn: &mut DbConnection,
    seq: i64,
    data: &MinorData,
) -> QueryResult<()> {
    diesel::delete(minor_name_keys::table.filter(minor_name_keys::minor_seq.eq(seq)))
        .execute(conn)?;
    insert_name_keys(conn, seq, data)
}

/// Inserts the name keys of a record that has none, in one statement.
pub(super) fn insert_name_keys(
    conn: &mut DbConnection,
    seq: i64,
    data: &MinorData,
) -> QueryResult<()> {
    let identity = data.identity.as_ref();
    let birth_day = identity.and_then(|i| i.date_of_birth).map(day);
    let rows: Vec<_> = index_keys(identity)
        .into_iter()
        .map(|key| {
            (
                minor_name_keys::key.eq(key),
                minor_name_keys::minor_seq.eq(seq),
                minor_name_keys::birth_day.eq(birth_day),
            )
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    // Multi-row inserts exist per backend only, not through the multi-backend connection.
    match conn {
        DbConnection::Postgres(c) => diesel::insert_into(minor_name_keys::table)
            .values(&rows)
            .execute(c)?,
        DbConnection::Sqlite(c) => diesel::insert_into(minor_name_keys::table)
            .values(&rows)
            .execute(c)?,
    };
    Ok(())
}

/// A date as stored in `birth_day`: days from 0001-01-01.
fn day(date: NaiveDate) -> i32 {
    date.num_days_from_ce()
}

/// Rebuilds the keys of every record when the index was built under another key scheme than
/// [`INDEX_VERSION`], in batches of [`REBUILD_BATCH`] records; returns how many records were
/// re-keyed (0 when the index was current). Records changed concurrently are re-keyed by their
/// own write as well, so the result is the same either way.
pub fn ensure_current(db: &Database) -> anyhow::Result<usize> {
    let mut conn = db.conn()?;
    let version: i32 = name_index::table
        .select(name_index::version)
        .first(&mut *conn)
        .context("reading the name index version")?;
    if version == INDEX_VERSION {
        return Ok(0);
    }
    let mut after = 0_i64;
    let mut rebuilt = 0;
    loop {
        let batch: Vec<(i64, String)> = minors::table
            .filter(minors::seq.gt(after))
            .order(minors::seq.asc())
            .limit(REBUILD_BATCH)
            .select((minors::seq, minors::data))
            .load(&mut *conn)
            .context("reading records to re-key")?;
        let Some(&(last, _)) = batch.last() else {
            break;
        };
        conn.transaction::<_, anyhow::Error, _>(|c| {
            for (seq, json) in &batch {
                let data: MinorData = serde_json::from_str(json)
                    .with_context(|| format!("record #{seq}: stored data"))?;
                write_name_keys(c, *seq, &data)?;
            }
            Ok(())
        })?;
        rebuilt += batch.len();
        after = last;
    }
    diesel::update(name_index::table)
        .set(name_index::version.eq(INDEX_VERSION))
        .execute(&mut *conn)
        .context("recording the name index version")?;
    Ok(rebuilt)
}

/// Postings from which a name key (single or pair) counts as common: under it, only the records
/// born nearest to the date sought are read (see [`candidate_seqs`]).
pub const COMMON_KEY_POSTINGS: usize = 2_000;

/// Days of distance counted for a record without a date of birth.
const UNKNOWN_BIRTH_DISTANCE: i32 = 365;

/// Days from a date to the same date a year earlier or later (to within a day).
const YEAR_DAYS: i32 = 365;

/// The registration sequence numbers of at most `limit` records for `query`, most likely first,
/// as `ports::MinorReader::candidates` specifies: per key one index scan of at most `common`
/// postings ([`COMMON_KEY_POSTINGS`] in the service), which is all of a selective key. Under a common key, without
/// a date one more scan (the `limit` most recent), and with a date six: the `limit` born nearest
/// to it on each side, and half as many on each side of the same date a year earlier and a year
/// later (an age estimated again moves the year, rarely the day). A record's closeness is its
/// distance to the nearest of these three dates.
pub(super) fn candidate_seqs(
    conn: &mut DbConnection,
    query: &KeyQuery,
    limit: usize,
    common: usize,
) -> QueryResult<Vec<i64>> {
    let cap = i64::try_from(common).unwrap_or(i64::MAX);
    let near = i64::try_from(limit).unwrap_or(i64::MAX);
    let born = query.born.map(day);
    // Per record: the keys it was found under, and its date of birth.
    let mut found: HashMap<i64, (u32, Option<i32>)> = HashMap::new();
    for key in query.pairs.iter().chain(&query.singles) {
        let by_key = || minor_name_keys::table.filter(minor_name_keys::key.eq(key));
        let columns = (minor_name_keys::minor_seq, minor_name_keys::birth_day);
        let mut postings: Vec<(i64, Option<i32>)> =
            by_key().select(columns).limit(cap).load(conn)?;
        if postings.len() >= common {
            postings = match born {
                Some(b) => {
                    let mut nearest: Vec<(i64, Option<i32>)> = Vec::new();
                    for (at, each_side) in [
                        (b, near),
                        (b - YEAR_DAYS, near / 2),
                        (b + YEAR_DAYS, near / 2),
                    ] {
                        nearest.extend(
                            by_key()
                                .filter(minor_name_keys::birth_day.ge(at))
                                .order(minor_name_keys::birth_day.asc())
                                .select(columns)
                                .limit(each_side)
                                .load::<(i64, Option<i32>)>(conn)?,
                        );
                        nearest.extend(
                            by_key()
                                .filter(minor_name_keys::birth_day.lt(at))
                                .order(minor_name_keys::birth_day.desc())
                                .select(columns)
                                .limit(each_side)
                                .load::<(i64, Option<i32>)>(conn)?,
                        );
                    }
                    nearest
                }
                None => by_key()
                    .order(minor_name_keys::minor_seq.desc())
                    .select(columns)
                    .limit(near)
                    .load(conn)?,
            };
        }
        // The windows may overlap: a record counts once per key.
        postings.sort_unstable();
        postings.dedup();
        for (seq, birth_day) in postings {
            found.entry(seq).or_insert((0, birth_day)).0 += 1;
        }
    }
    let distance = |birth_day: Option<i32>| match (birth_day, born) {
        (Some(d), Some(b)) => {
            let apart = (d - b).abs();
            apart.min((apart - YEAR_DAYS).abs())
        }
        _ => UNKNOWN_BIRTH_DISTANCE,
    };
    let mut ranked: Vec<(i64, u32, i32)> = found
        .into_iter()
        .map(|(seq, (shared, birth_day))| (seq, shared, distance(birth_day)))
        .collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.2.cmp(&b.2)).then(b.0.cmp(&a.0)));
    ranked.truncate(limit);
    Ok(ranked.into_iter().map(|(seq, _, _)| seq).collect())
}
