// @ts-check
// Durability of the experiment database in IndexedDB.
//
// The database lives in memory (sql.js). Saving a snapshot of it on every result would be
// far too slow at scale, so results are first appended to a log in IndexedDB, one strict
// transaction per chunk, and only shown as done once that transaction has committed. In
// the background the log is folded into a snapshot: under a Web Lock, the folding tab
// merges any newer snapshot (another tab's), applies every log entry, writes its snapshot
// and deletes exactly the entries it folded, in one transaction. Opening the page loads
// the snapshot and replays the log. So a crash loses nothing that was shown, and two tabs
// never overwrite each other's results; a BroadcastChannel tells the other tabs about new
// rows so their views stay current.

import { addRunEach } from './sql_batch.js';

const DB_NAME = 'btlab';
const LOCK = 'btlab-snapshot';

export function idb(name = DB_NAME) {
  return new Promise((resolve, reject) => {
    // Version 2 added the user's strategy definitions; each store is created if missing.
    const open = indexedDB.open(name, 2);
    open.onupgradeneeded = () => {
      const db = open.result;
      const has = (store) => db.objectStoreNames.contains(store);
      if (!has('snapshot')) db.createObjectStore('snapshot');
      if (!has('log')) db.createObjectStore('log', { autoIncrement: true });
      if (!has('datasets')) db.createObjectStore('datasets', { keyPath: 'id' });
      if (!has('definitions')) db.createObjectStore('definitions', { keyPath: 'name' });
    };
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
}

export function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

export function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = tx.onerror = () => reject(tx.error || new Error('IndexedDB transaction aborted'));
  });
}

export class Persistence {
  constructor(idbHandle, SQL, wasm) {
    this.idb = idbHandle;
    addRunEach(SQL);
    this.SQL = SQL;
    this.wasm = wasm;
    this.version = 0; // of the snapshot this tab's database includes
    this.applied = new Set(); // log keys already in this tab's database
    this.channel = new BroadcastChannel('btlab');
    this.onRemote = () => {};
    this.channel.onmessage = (e) => this.receive(e.data);
    this.folding = null;
  }

  // Loads the snapshot and replays the log: everything ever shown as done.
  async open() {
    const tx = this.idb.transaction(['snapshot', 'log'], 'readonly');
    const snapshot = await request(tx.objectStore('snapshot').get('db'));
    const keys = await request(tx.objectStore('log').getAllKeys());
    const db = new this.SQL.Database(snapshot ? snapshot.bytes : undefined);
    this.store = new this.wasm.WebStore(db);
    this.version = snapshot ? snapshot.version : 0;
    await this.replay(keys);
    return this.store;
  }

  // Applies the log entries of `keys` this tab has not applied, one read at a time so a
  // long log never sits in memory whole. Returns how many experiments were new.
  async replay(keys) {
    let inserted = 0;
    for (const key of keys) {
      if (this.applied.has(key)) continue;
      const entry = await request(this.idb.transaction('log', 'readonly').objectStore('log').get(key));
      if (!entry) continue;
      try {
        inserted += this.apply(key, entry)[0];
      } catch (e) {
        console.error(`log entry ${key} could not be applied, kept for inspection:`, e);
      }
    }
    return inserted;
  }

  // An entry: a chunk's runs with their hashes (the workers' bytes with the configs they
  // ran, or an edge worker's JSON outcomes: an entry logged before the bytes existed has
  // a worker's JSON there too), configs refused before running, the strategy definitions
  // they ran and, for a sweep keeping returns, its spec and members. Recorded by the
  // core's recordPacked or recordChunk (the definitions first, so the store can keep them
  // beside the rows); returns [new experiments, already stored, failed configs]: every
  // outcome and refusal is in exactly one.
  apply(key, entry) {
    if (this.applied.has(key)) return [0, 0, 0];
    this.applied.add(key);
    for (const source of entry.definitions || []) this.wasm.defineStrategy(source);
    const sweepId = entry.sweep ? this.store.openSweep(entry.sweep.spec, entry.sweep.fingerprint, entry.created_at) : undefined;
    const members = entry.sweep ? entry.sweep.members : [];
    if (entry.packed) return this.store.recordPacked(entry.configs, entry.packed, entry.hashes, entry.errors, sweepId, members, entry.created_at);
    return this.store.recordChunk(entry.outcomes || '[]', entry.hashes, entry.errors, sweepId, members, entry.created_at);
  }

  // Durably logs a planned chunk's runs (`ran`: { packed } from the workers, { outcomes }
  // from an edge worker, null when nothing ran), then adds them to the database.
  async append(plan, ran, sweep = null, definitions = []) {
    const entry = {
      configs: ran?.packed ? plan.to_run : null, packed: ran?.packed ?? null, outcomes: ran?.outcomes ?? null,
      hashes: plan.hashes, errors: plan.refused, sweep, definitions, created_at: Date.now(),
    };
    const tx = this.idb.transaction('log', 'readwrite', { durability: 'strict' });
    const key = await request(tx.objectStore('log').add(entry));
    await done(tx);
    const inserted = this.apply(key, entry);
    // Other tabs read the entry from IndexedDB themselves: no copy of it in the message.
    this.channel.postMessage({ type: 'appended', key });
    return inserted;
  }

  async receive(message) {
    if (message.type === 'appended' && this.store) {
      if (await this.replay([message.key])) this.onRemote();
    }
  }

  // Folds the log into the snapshot (one fold at a time per tab, one per origin by lock).
  fold() {
    this.folding ??= navigator.locks.request(LOCK, () => this.foldLocked()).finally(() => { this.folding = null; });
    return this.folding;
  }

  async foldLocked() {
    const read = this.idb.transaction(['snapshot', 'log'], 'readonly');
    const version = (await request(read.objectStore('snapshot').get('version'))) ?? 0;
    const keys = await request(read.objectStore('log').getAllKeys());
    if (version !== this.version) {
      // Another tab folded since: take its rows too, so this snapshot drops none of them.
      const snapshot = await request(this.idb.transaction('snapshot', 'readonly').objectStore('snapshot').get('db'));
      const theirs = new this.SQL.Database(snapshot.bytes);
      this.store.mergeDatabase(theirs, Date.now());
      theirs.close();
    }
    await this.replay(keys);
    if (!keys.length && version === this.version) return;
    const bytes = this.store.exportBytes();
    const write = this.idb.transaction(['snapshot', 'log'], 'readwrite', { durability: 'strict' });
    write.objectStore('snapshot').put({ bytes, version: version + 1 }, 'db');
    write.objectStore('snapshot').put(version + 1, 'version');
    for (const key of keys) write.objectStore('log').delete(key);
    await done(write);
    this.version = version + 1;
  }
}
