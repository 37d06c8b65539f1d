//! The name index of `minor_name_keys` (key scheme `domain::matching::INDEX_VERSION`): written with
//! each change of a record, rebuilt whole when the scheme changes, and looked up by search.

use std::collections::HashSet;

use anyhow::Context;
use chrono::Datelike;
use diesel::dsl::{count_star, max};
use diesel::prelude::*;
use domain::matching::{INDEX_VERSION, KeyQuery, index_keys};
use domain::minor::MinorData;
use domain::ports::COMMON_KEY_POSTINGS;

use super::schema::{minor_name_keys, minors, name_index};
use super::{Database, DbConnection};

/// Records re-keyed per transaction when the index is rebuilt.
const REBUILD_BATCH: i64 = 1_000;

/// Replaces the name keys of a record with those of `data`, each with the record's birth year.
pub(super) fn write_name_keys(
    conn: &mut DbConnection,
    seq: i64,
    data: &MinorData,
) -> QueryResult<()> {
    diesel::delete(minor_name_keys::table.filter(minor_name_keys::minor_seq.eq(seq)))
        .execute(conn)?;
    let identity = data.identity.as_ref();
    let birth_year = identity.and_then(|i| i.date_of_birth).map(|d| d.year());
    // One statement per key: the multi-backend connection has no batch insert.
    for key in index_keys(identity) {
        diesel::insert_into(minor_name_keys::table)
            .values((
                minor_name_keys::key.eq(key),
                minor_name_keys::minor_seq.eq(seq),
                minor_name_keys::birth_year.eq(birth_year),
            ))
            .execute(conn)?;
    }
    Ok(())
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

/// The registration sequence numbers of at most `limit` records for `query`, most likely first,
/// as `ports::MinorRepository::candidates` specifies.
pub(super) fn candidate_seqs(
    conn: &mut DbConnection,
    query: &KeyQuery,
    limit: usize,
) -> QueryResult<Vec<i64>> {
    let cap = i64::try_from(COMMON_KEY_POSTINGS).unwrap_or(i64::MAX);
    let mut selective: Vec<String> = query.pairs.clone();
    let mut common: Vec<String> = Vec::new();
    for key in &query.singles {
        let postings: Vec<i64> = minor_name_keys::table
            .filter(minor_name_keys::key.eq(key))
            .select(minor_name_keys::minor_seq)
            .limit(cap)
            .load(conn)?;
        if postings.len() < COMMON_KEY_POSTINGS {
            selective.push(key.clone());
        } else {
            common.push(key.clone());
        }
    }
    let distance = |year: Option<i32>| match (year, query.birth_year) {
        (Some(y), Some(q)) => (y - q).abs(),
        _ => 1,
    };
    let mut ranked: Vec<(i64, i64, i32)> = if selective.is_empty() {
        vec![]
    } else {
        minor_name_keys::table
            .filter(minor_name_keys::key.eq_any(&selective))
            .group_by(minor_name_keys::minor_seq)
            .select((
                minor_name_keys::minor_seq,
                count_star(),
                max(minor_name_keys::birth_year),
            ))
            .load::<(i64, i64, Option<i32>)>(conn)?
            .into_iter()
            .map(|(seq, shared, year)| (seq, shared, distance(year)))
            .collect()
    };
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.2.cmp(&b.2)).then(b.0.cmp(&a.0)));
    ranked.truncate(limit);
    let mut seqs: Vec<i64> = ranked.into_iter().map(|(seq, _, _)| seq).collect();
    if seqs.len() < limit && !common.is_empty() {
        let wanted = i64::try_from(limit).unwrap_or(i64::MAX);
        let fill = minor_name_keys::table
            .filter(minor_name_keys::key.eq_any(&common))
            .select((minor_name_keys::minor_seq, minor_name_keys::birth_year))
            .limit(wanted);
        let mut extra: Vec<(i64, Option<i32>)> = match query.birth_year {
            // Within a year of the one sought, any order: the index on (key, birth_year) bounds it.
            Some(year) => fill
                .filter(minor_name_keys::birth_year.between(year - 1, year + 1))
                .load(conn)?,
            None => fill.order(minor_name_keys::minor_seq.desc()).load(conn)?,
        };
        extra.sort_by_key(|(seq, year)| (distance(*year), -seq));
        let mut seen: HashSet<i64> = seqs.iter().copied().collect();
        for (seq, _) in extra {
            if seqs.len() >= limit {
                break;
            }
            if seen.insert(seq) {
                seqs.push(seq);
            }
        }
    }
    Ok(seqs)
}
