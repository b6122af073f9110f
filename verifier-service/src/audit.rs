//! The audit log: one record per verification, hash-chained, in redb, with
//! its head periodically anchored on the chain (`AuditAnchors`).
//!
//! A record holds the time, the counter, its policy, the credential type,
//! the issuer DID, the verdict, the reason codes and the SHA-256 of the
//! presented bytes — no claims, no names. Each record carries the hash of
//! the one before it; its own hash is
//! `SHA-256("stele-audit-v1\n" || JSON of the record without "hash")`.
//!
//! Appends go through one writer thread that commits whatever is queued in
//! one redb transaction (group commit, durability `Immediate`) and only then
//! answers each waiting request: an acknowledged verification has its record
//! on disk. Closing the log processes everything queued first.
//!
//! [`verify_audit_log`] walks the records, checks every link and hash, and
//! compares the anchors on the chain with the records they name.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, SyncSender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use alloy_primitives::{Address, B256};
use alloy_sol_types::{SolCall, SolEvent};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition, TableError};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use stele_core::key::{KeyType, SecretKey};
use stele_registry::contracts::AuditAnchors;
use stele_registry::{Account, Chain, Deployment, LogFilter, TxRequest};

use crate::apikey::hex;
use crate::metrics::Metrics;

/// The audit log's file in the data directory.
pub const AUDIT_FILE: &str = "audit.redb";
/// The key that sends anchors, in the data directory.
pub const ANCHOR_KEY_FILE: &str = "audit-anchor.jwk";

const RECORDS: TableDefinition<u64, &[u8]> = TableDefinition::new("records");
const ANCHORS: TableDefinition<u64, &[u8]> = TableDefinition::new("anchors");
const DOMAIN: &[u8] = b"stele-audit-v1\n";
/// The `prev` of the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// Most records committed in one transaction.
const MAX_BATCH: usize = 512;

/// Why the audit log failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// The log file cannot be opened, read or written.
    #[error("audit log storage: {0}")]
    Storage(String),
    /// The log is closed (the service is shutting down).
    #[error("the audit log is closed")]
    Closed,
    /// The anchor key file is unreadable.
    #[error("audit anchor key: {0}")]
    Key(String),
    /// The chain could not be read.
    #[error("chain: {0}")]
    Chain(String),
}

fn storage(context: &str, e: impl std::fmt::Display) -> AuditError {
    AuditError::Storage(format!("{context}: {e}"))
}

/// What a verification contributes to its record (no personal data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Unix seconds.
    pub time: i64,
    /// The counter's id (`-` for public VC-API calls).
    pub counter: String,
    /// The policy's id.
    pub policy: String,
    /// The credential type, once read.
    pub credential_type: Option<String>,
    /// The issuer DID, once read.
    pub issuer: Option<String>,
    /// `verified`, `rejected` or `could_not_check`.
    pub verdict: String,
    /// The reason codes.
    pub reasons: Vec<String>,
    /// SHA-256 (hex) of the presented bytes.
    pub input_sha256: String,
}

/// A stored record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// Position in the log, from 0.
    pub seq: u64,
    /// Unix seconds.
    pub time: i64,
    /// Counter id.
    pub counter: String,
    /// Policy id.
    pub policy: String,
    /// Credential type.
    pub credential_type: Option<String>,
    /// Issuer DID.
    pub issuer: Option<String>,
    /// Verdict.
    pub verdict: String,
    /// Reason codes.
    pub reasons: Vec<String>,
    /// SHA-256 of the presented bytes.
    pub input_sha256: String,
    /// The previous record's hash ([`GENESIS`] for the first).
    pub prev: String,
    /// This record's hash.
    pub hash: String,
}

#[derive(Serialize)]
struct Body<'a> {
    seq: u64,
    time: i64,
    counter: &'a str,
    policy: &'a str,
    credential_type: &'a Option<String>,
    issuer: &'a Option<String>,
    verdict: &'a str,
    reasons: &'a [String],
    input_sha256: &'a str,
    prev: &'a str,
}

impl Record {
    /// The hash this record should carry.
    pub fn compute_hash(&self) -> String {
        let body = Body {
            seq: self.seq,
            time: self.time,
            counter: &self.counter,
            policy: &self.policy,
            credential_type: &self.credential_type,
            issuer: &self.issuer,
            verdict: &self.verdict,
            reasons: &self.reasons,
            input_sha256: &self.input_sha256,
            prev: &self.prev,
        };
        let json = serde_json::to_vec(&body).unwrap_or_default();
        let mut h = Sha256::new();
        h.update(DOMAIN);
        h.update(&json);
        hex(&h.finalize())
    }

    fn from_entry(e: Entry, seq: u64, prev: String) -> Record {
        let mut r = Record {
            seq,
            time: e.time,
            counter: e.counter,
            policy: e.policy,
            credential_type: e.credential_type,
            issuer: e.issuer,
            verdict: e.verdict,
            reasons: e.reasons,
            input_sha256: e.input_sha256,
            prev,
            hash: String::new(),
        };
        r.hash = r.compute_hash();
        r
    }
}

/// SHA-256 (hex) of presented bytes.
pub fn input_hash(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

enum Msg {
    Append(Entry, tokio::sync::oneshot::Sender<Result<u64, AuditError>>),
    Close,
}

/// Anchoring: where and how often.
pub struct Anchoring {
    /// The chain.
    pub chain: Arc<dyn Chain>,
    /// The `AuditAnchors` contract.
    pub contract: Address,
    /// The account that sends anchors.
    pub account: Account,
    /// Anchor after this many new records (0: never by count).
    pub every_records: u64,
    /// Anchor after this long with new records (zero: never by time).
    pub every: Duration,
}

/// The open audit log: append records, close on shutdown.
pub struct AuditLog {
    tx: Sender<Msg>,
    writer: std::sync::Mutex<Option<JoinHandle<()>>>,
    anchorer: std::sync::Mutex<Option<(SyncSender<AnchorMsg>, JoinHandle<()>)>>,
}

enum AnchorMsg {
    Appended(u64),
    Close,
}

impl AuditLog {
    /// Opens (or creates) the log in `dir`, with optional anchoring.
    pub fn open(
        dir: &Path,
        anchoring: Option<Anchoring>,
        metrics: Arc<Metrics>,
    ) -> Result<AuditLog, AuditError> {
        let path = dir.join(AUDIT_FILE);
        let db = Arc::new(open_db(&path)?);
        // Ensure the tables exist and find the head.
        let head = {
            let txn = db.begin_write().map_err(|e| storage("write", e))?;
            txn.open_table(RECORDS).map_err(|e| storage("write", e))?;
            txn.open_table(ANCHORS).map_err(|e| storage("write", e))?;
            txn.commit().map_err(|e| storage("commit", e))?;
            head(&db)?
        };
        let anchorer = anchoring.map(|a| {
            let (atx, arx) = mpsc::sync_channel::<AnchorMsg>(1024);
            let db = db.clone();
            let metrics = metrics.clone();
            let handle = std::thread::Builder::new()
                .name("stele-audit-anchor".into())
                .spawn(move || anchor_loop(&db, &a, &arx, &metrics));
            (atx, handle)
        });
        let anchorer = match anchorer {
            Some((atx, Ok(h))) => Some((atx, h)),
            Some((_, Err(e))) => return Err(storage("cannot start the anchoring thread", e)),
            None => None,
        };
        let notify = anchorer.as_ref().map(|(s, _)| s.clone());
        let (tx, rx) = mpsc::channel::<Msg>();
        let writer = std::thread::Builder::new()
            .name("stele-audit-writer".into())
            .spawn(move || writer_loop(&db, head, &rx, notify.as_ref(), &metrics))
            .map_err(|e| storage("cannot start the audit writer", e))?;
        Ok(AuditLog {
            tx,
            writer: std::sync::Mutex::new(Some(writer)),
            anchorer: std::sync::Mutex::new(anchorer),
        })
    }

    /// Appends a record and waits until it is durable; returns its `seq`.
    pub async fn append(&self, entry: Entry) -> Result<u64, AuditError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.tx
            .send(Msg::Append(entry, tx))
            .map_err(|_| AuditError::Closed)?;
        rx.await.map_err(|_| AuditError::Closed)?
    }

    /// Commits everything queued, stops the writer and the anchoring thread
    /// (blocking; call from a blocking thread). Later appends fail with
    /// [`AuditError::Closed`].
    pub fn close(&self) {
        let _ = self.tx.send(Msg::Close);
        if let Some(h) = self.writer.lock().ok().and_then(|mut w| w.take()) {
            let _ = h.join();
        }
        if let Some((s, h)) = self.anchorer.lock().ok().and_then(|mut a| a.take()) {
            let _ = s.send(AnchorMsg::Close);
            let _ = h.join();
        }
    }
}

impl Drop for AuditLog {
    fn drop(&mut self) {
        let _ = self.tx.send(Msg::Close);
        if let Some((s, _)) = self.anchorer.lock().ok().and_then(|mut a| a.take()) {
            let _ = s.try_send(AnchorMsg::Close);
        }
    }
}

fn open_db(path: &Path) -> Result<Database, AuditError> {
    match Database::create(path) {
        Ok(db) => Ok(db),
        Err(redb::DatabaseError::DatabaseAlreadyOpen) => Err(AuditError::Storage(format!(
            "{} is already open (is another stele-verifier running on this data directory?)",
            path.display()
        ))),
        Err(e) => Err(storage(&format!("cannot open {}", path.display()), e)),
    }
}

/// (next seq, hash of the last record).
fn head(db: &Database) -> Result<(u64, String), AuditError> {
    let txn = db.begin_read().map_err(|e| storage("read", e))?;
    let table = match txn.open_table(RECORDS) {
        Ok(t) => t,
        Err(TableError::TableDoesNotExist(_)) => return Ok((0, GENESIS.to_owned())),
        Err(e) => return Err(storage("read", e)),
    };
    match table.last().map_err(|e| storage("read", e))? {
        None => Ok((0, GENESIS.to_owned())),
        Some((k, v)) => {
            let r: Record = serde_json::from_slice(v.value())
                .map_err(|e| storage(&format!("corrupt record {}", k.value()), e))?;
            Ok((k.value() + 1, r.hash))
        }
    }
}

fn writer_loop(
    db: &Database,
    head: (u64, String),
    rx: &Receiver<Msg>,
    anchor: Option<&SyncSender<AnchorMsg>>,
    metrics: &Metrics,
) {
    let (mut next, mut prev) = head;
    let mut closing = false;
    while !closing {
        let Ok(first) = rx.recv() else { return };
        let mut batch = Vec::new();
        match first {
            Msg::Append(e, r) => batch.push((e, r)),
            Msg::Close => closing = true,
        }
        while !closing && batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(Msg::Append(e, r)) => batch.push((e, r)),
                Ok(Msg::Close) => closing = true,
                Err(_) => break,
            }
        }
        if batch.is_empty() {
            continue;
        }
        let mut replies = Vec::with_capacity(batch.len());
        let mut chained = prev.clone();
        let records: Vec<Record> = batch
            .into_iter()
            .enumerate()
            .map(|(i, (e, reply))| {
                replies.push(reply);
                let r = Record::from_entry(e, next + i as u64, std::mem::take(&mut chained));
                chained.clone_from(&r.hash);
                r
            })
            .collect();
        match commit(db, &records) {
            Ok(()) => {
                let n = records.len() as u64;
                next += n;
                prev = chained;
                metrics.audit_records(n);
                for (reply, r) in replies.into_iter().zip(&records) {
                    let _ = reply.send(Ok(r.seq));
                }
                if let Some(a) = anchor {
                    let _ = a.try_send(AnchorMsg::Appended(next));
                }
            }
            Err(e) => {
                for reply in replies {
                    let _ = reply.send(Err(e.clone()));
                }
            }
        }
    }
    // Anything queued after Close is refused (its sender sees Closed).
}

fn commit(db: &Database, records: &[Record]) -> Result<(), AuditError> {
    let txn = db.begin_write().map_err(|e| storage("write", e))?;
    {
        let mut t = txn.open_table(RECORDS).map_err(|e| storage("write", e))?;
        for r in records {
            let bytes = serde_json::to_vec(r).map_err(|e| storage("encode", e))?;
            t.insert(r.seq, bytes.as_slice())
                .map_err(|e| storage("write", e))?;
        }
    }
    txn.commit().map_err(|e| storage("commit", e))
}

fn anchor_loop(db: &Database, a: &Anchoring, rx: &Receiver<AnchorMsg>, metrics: &Metrics) {
    let mut anchored = last_anchor(db).map(|(count, _)| count).unwrap_or(0);
    let mut count = head(db).map(|(n, _)| n).unwrap_or(0);
    let mut last_time = Instant::now();
    let tick = if a.every.is_zero() {
        Duration::from_secs(3600)
    } else {
        a.every.min(Duration::from_secs(3600))
    };
    loop {
        match rx.recv_timeout(tick) {
            Ok(AnchorMsg::Appended(n)) => count = count.max(n),
            Ok(AnchorMsg::Close) | Err(RecvTimeoutError::Disconnected) => return,
            Err(RecvTimeoutError::Timeout) => {}
        }
        let by_count = a.every_records > 0 && count.saturating_sub(anchored) >= a.every_records;
        let by_time = !a.every.is_zero() && count > anchored && last_time.elapsed() >= a.every;
        if !(by_count || by_time) {
            continue;
        }
        match anchor_head(db, a) {
            Ok(n) => {
                anchored = n;
                last_time = Instant::now();
                metrics.audit_anchor(true);
            }
            Err(_) => {
                // Retried at the next record or tick; counted, not logged
                // with details (they may name the chain endpoint only).
                last_time = Instant::now();
                metrics.audit_anchor(false);
            }
        }
    }
}

/// Anchors the current head of the log at `db` now; returns the anchored count.
fn anchor_head(db: &Database, a: &Anchoring) -> Result<u64, AuditError> {
    let (count, hash) = head(db)?;
    if count == 0 {
        return Ok(0);
    }
    let head_hash = parse_b256(&hash).ok_or_else(|| AuditError::Storage("bad head hash".into()))?;
    let call = AuditAnchors::anchorCall {
        headHash: head_hash,
        count,
    };
    let receipt = a
        .account
        .send(
            a.chain.as_ref(),
            &TxRequest {
                to: Some(a.contract),
                data: call.abi_encode().into(),
                gas: None,
            },
        )
        .map_err(|e| AuditError::Chain(e.to_string()))?;
    if !receipt.success {
        return Err(AuditError::Chain("the anchor transaction reverted".into()));
    }
    let txn = db.begin_write().map_err(|e| storage("write", e))?;
    {
        let mut t = txn.open_table(ANCHORS).map_err(|e| storage("write", e))?;
        t.insert(count, receipt.transaction_hash.as_slice())
            .map_err(|e| storage("write", e))?;
    }
    txn.commit().map_err(|e| storage("commit", e))?;
    Ok(count)
}

fn last_anchor(db: &Database) -> Result<(u64, Vec<u8>), AuditError> {
    let txn = db.begin_read().map_err(|e| storage("read", e))?;
    let t = match txn.open_table(ANCHORS) {
        Ok(t) => t,
        Err(TableError::TableDoesNotExist(_)) => return Ok((0, Vec::new())),
        Err(e) => return Err(storage("read", e)),
    };
    Ok(t.last()
        .map_err(|e| storage("read", e))?
        .map(|(k, v)| (k.value(), v.value().to_vec()))
        .unwrap_or_default())
}

fn parse_b256(hex_str: &str) -> Option<B256> {
    let bytes = alloy_primitives::hex::decode(hex_str).ok()?;
    (bytes.len() == 32).then(|| B256::from_slice(&bytes))
}

/// Loads the anchoring key from `path`, or creates it (mode 0600).
pub fn load_or_create_anchor_key(path: &Path) -> Result<Account, AuditError> {
    let key = if path.exists() {
        let text = zeroize::Zeroizing::new(
            std::fs::read_to_string(path).map_err(|e| AuditError::Key(e.to_string()))?,
        );
        SecretKey::from_private_jwk_json(&text).map_err(|e| AuditError::Key(e.to_string()))?
    } else {
        let key = SecretKey::generate(KeyType::Secp256k1, &mut rand_core::OsRng);
        crate::files::write_secret(path, key.to_private_jwk_json().as_bytes())
            .map_err(|e| AuditError::Key(e.to_string()))?;
        key
    };
    Account::from_secret_key(&key).map_err(|e| AuditError::Key(e.to_string()))
}

/// The address that anchors the log kept in `data_dir`, if its key exists.
pub fn anchor_address(data_dir: &Path) -> Result<Option<Address>, AuditError> {
    let path = data_dir.join(ANCHOR_KEY_FILE);
    if !path.exists() {
        return Ok(None);
    }
    load_or_create_anchor_key(&path).map(|a| Some(a.address()))
}

/// Where [`verify_audit_log`] reads anchors.
pub struct AnchorSource<'a> {
    /// The chain.
    pub chain: &'a dyn Chain,
    /// Its contracts.
    pub deployment: &'a Deployment,
    /// The account the service anchors from ([`anchor_address`]).
    pub verifier: Address,
}

/// One thing wrong with the log.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Finding {
    /// A record is missing: `expected` seq was followed by `found`.
    Gap {
        /// The seq that should come next.
        expected: u64,
        /// The seq that came.
        found: u64,
    },
    /// A record's content does not match its hash (it was altered).
    Altered {
        /// The record.
        seq: u64,
    },
    /// A record's `prev` is not the previous record's hash (a record was
    /// replaced, inserted or removed before it).
    BrokenLink {
        /// The record.
        seq: u64,
    },
    /// A record cannot be read.
    Unreadable {
        /// The record.
        seq: u64,
    },
    /// An anchor names more records than the log holds (it was truncated).
    Truncated {
        /// Records the anchor names.
        anchored: u64,
        /// Records in the log.
        present: u64,
    },
    /// An anchor's head hash differs from the record it names (rewritten).
    AnchorMismatch {
        /// The record count the anchor names.
        count: u64,
    },
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Finding::Gap { expected, found } => {
                write!(f, "gap: record {expected} is missing (next is {found})")
            }
            Finding::Altered { seq } => write!(f, "record {seq} was altered (hash mismatch)"),
            Finding::BrokenLink { seq } => {
                write!(f, "record {seq} does not follow the record before it")
            }
            Finding::Unreadable { seq } => write!(f, "record {seq} cannot be read"),
            Finding::Truncated { anchored, present } => write!(
                f,
                "truncated: an anchor names {anchored} records, the log has {present}"
            ),
            Finding::AnchorMismatch { count } => write!(
                f,
                "the anchor of the first {count} records does not match the log"
            ),
        }
    }
}

/// What [`verify_audit_log`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Records in the log.
    pub records: u64,
    /// The head hash (hex), if any record.
    pub head: Option<String>,
    /// Anchors found on the chain and checked.
    pub anchors_checked: usize,
    /// The largest record count an anchor covers.
    pub anchored_records: u64,
    /// Everything wrong; empty when the log is intact.
    pub findings: Vec<Finding>,
}

impl Report {
    /// True when no finding was made.
    pub fn is_intact(&self) -> bool {
        self.findings.is_empty()
    }
}

/// Checks the audit log kept in `data_dir`: every record's hash and link,
/// no gap, and (with `anchors`) every anchor on the chain against the
/// records it names. The service must not be running on `data_dir` (redb
/// opens the file exclusively).
pub fn verify_audit_log(
    data_dir: &Path,
    anchors: Option<AnchorSource<'_>>,
) -> Result<Report, AuditError> {
    let path: PathBuf = data_dir.join(AUDIT_FILE);
    if !path.exists() {
        return Err(AuditError::Storage(format!(
            "no audit log at {}",
            path.display()
        )));
    }
    let db = open_db(&path)?;
    let records = read_records(&db)?;
    let mut findings = Vec::new();
    let mut hashes: Vec<Option<String>> = Vec::new();
    let mut expected = 0u64;
    let mut prev = GENESIS.to_owned();
    for (seq, bytes) in &records {
        if *seq != expected {
            findings.push(Finding::Gap {
                expected,
                found: *seq,
            });
            while (hashes.len() as u64) < *seq {
                hashes.push(None);
            }
        }
        expected = seq + 1;
        let Ok(r) = serde_json::from_slice::<Record>(bytes) else {
            findings.push(Finding::Unreadable { seq: *seq });
            hashes.push(None);
            prev = String::new();
            continue;
        };
        if r.seq != *seq || r.compute_hash() != r.hash {
            findings.push(Finding::Altered { seq: *seq });
        } else if r.prev != prev {
            findings.push(Finding::BrokenLink { seq: *seq });
        }
        prev.clone_from(&r.hash);
        hashes.push(Some(r.hash));
    }
    let count = expected;
    let mut report = Report {
        records: count,
        head: hashes.last().cloned().flatten(),
        anchors_checked: 0,
        anchored_records: 0,
        findings,
    };
    if let Some(a) = anchors {
        for (head_hash, n) in read_anchors(&a)? {
            report.anchors_checked += 1;
            report.anchored_records = report.anchored_records.max(n);
            if n == 0 {
                continue;
            }
            if n > count {
                report.findings.push(Finding::Truncated {
                    anchored: n,
                    present: count,
                });
                continue;
            }
            let at = usize::try_from(n - 1).unwrap_or(usize::MAX);
            let matches = hashes
                .get(at)
                .and_then(Option::as_ref)
                .and_then(|h| parse_b256(h))
                .is_some_and(|h| h == head_hash);
            if !matches {
                report.findings.push(Finding::AnchorMismatch { count: n });
            }
        }
    }
    Ok(report)
}

/// Every record as (seq, stored bytes).
pub fn read_records(db: &Database) -> Result<Vec<(u64, Vec<u8>)>, AuditError> {
    let txn = db.begin_read().map_err(|e| storage("read", e))?;
    let t = match txn.open_table(RECORDS) {
        Ok(t) => t,
        Err(TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
        Err(e) => return Err(storage("read", e)),
    };
    let mut out = Vec::new();
    for entry in t.iter().map_err(|e| storage("read", e))? {
        let (k, v) = entry.map_err(|e| storage("read", e))?;
        out.push((k.value(), v.value().to_vec()));
    }
    Ok(out)
}

/// Reads every record of the log in `data_dir` (for tests and tools; the
/// service must not be running on it).
pub fn read_log(data_dir: &Path) -> Result<Vec<Record>, AuditError> {
    let db = open_db(&data_dir.join(AUDIT_FILE))?;
    read_records(&db)?
        .into_iter()
        .map(|(seq, b)| {
            serde_json::from_slice(&b).map_err(|e| storage(&format!("record {seq}"), e))
        })
        .collect()
}

fn read_anchors(a: &AnchorSource<'_>) -> Result<Vec<(B256, u64)>, AuditError> {
    let logs = a
        .chain
        .logs(&LogFilter {
            address: a.deployment.audit_anchors,
            from_block: a.deployment.deployed_at_block,
            to_block: None,
            topics: vec![
                Some(AuditAnchors::AuditAnchored::SIGNATURE_HASH),
                Some(a.verifier.into_word()),
            ],
        })
        .map_err(|e| AuditError::Chain(e.to_string()))?;
    let mut out = Vec::new();
    for log in logs {
        let topics: Vec<B256> = log.topics.clone();
        let decoded =
            AuditAnchors::AuditAnchored::decode_raw_log(topics.iter().copied(), &log.data)
                .map_err(|e| AuditError::Chain(format!("undecodable anchor event: {e}")))?;
        out.push((decoded.headHash, decoded.recordCount));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(i: u64) -> Entry {
        Entry {
            time: 1_700_000_000 + i as i64,
            counter: "counter-1".into(),
            policy: "counter-1".into(),
            credential_type: Some("ResidencePermitCredential".into()),
            issuer: Some("did:key:z6Mk".into()),
            verdict: if i % 2 == 0 { "verified" } else { "rejected" }.into(),
            reasons: if i % 2 == 0 {
                vec![]
            } else {
                vec!["replay".into()]
            },
            input_sha256: input_hash(&i.to_be_bytes()),
        }
    }

    fn write(dir: &Path, from: u64, n: u64) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let log = AuditLog::open(dir, None, Arc::new(Metrics::default())).unwrap();
        rt.block_on(async {
            for i in from..from + n {
                assert_eq!(log.append(entry(i)).await.unwrap(), i);
            }
        });
        log.close();
    }

    #[test]
    fn chain_of_hashes_survives_reopen_and_detects_tampering() {
        let dir = tempdir("audit");
        write(&dir, 0, 3);
        write(&dir, 3, 2); // reopened: continues the chain
        let report = verify_audit_log(&dir, None).unwrap();
        assert!(report.is_intact(), "{:?}", report.findings);
        assert_eq!(report.records, 5);
        let records = read_log(&dir).unwrap();
        assert_eq!(records[0].prev, GENESIS);
        assert_eq!(records[3].prev, records[2].hash);

        // Alter record 1's verdict, keep its hash.
        {
            let db = open_db(&dir.join(AUDIT_FILE)).unwrap();
            let mut r = records[1].clone();
            r.verdict = "verified".into();
            let txn = db.begin_write().unwrap();
            {
                let mut t = txn.open_table(RECORDS).unwrap();
                t.insert(1, serde_json::to_vec(&r).unwrap().as_slice())
                    .unwrap();
                t.remove(3).unwrap();
            }
            txn.commit().unwrap();
        }
        let report = verify_audit_log(&dir, None).unwrap();
        assert_eq!(
            report.findings,
            vec![
                Finding::Altered { seq: 1 },
                Finding::Gap {
                    expected: 3,
                    found: 4
                },
                Finding::BrokenLink { seq: 4 },
            ]
        );
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn closed_log_refuses() {
        let dir = tempdir("audit-closed");
        let log = AuditLog::open(&dir, None, Arc::new(Metrics::default())).unwrap();
        log.close();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        assert_eq!(rt.block_on(log.append(entry(0))), Err(AuditError::Closed));
        drop(log);
        std::fs::remove_dir_all(&dir).ok();
    }

    pub(crate) fn tempdir(name: &str) -> PathBuf {
        let mut b = [0u8; 8];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut b);
        let d = std::env::temp_dir().join(format!("stele-{name}-{}", hex(&b)));
        std::fs::create_dir_all(&d).unwrap();
        d
    }
}
