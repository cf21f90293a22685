// @ts-check
// sql.js binds one statement's values per call; the store's driver (crates/web/src/sqljs.rs)
// inserts a chunk's rows as one batch, which this loop binds and runs row by row inside
// JavaScript, so the values cross from the engine's wasm once per batch, not once each.

/** Adds `runEach` to sql.js's `Database`. @param {any} SQL sql.js's module */
export function addRunEach(SQL) {
  // Kinds: 0 NULL, 1 number, 2 text (an index into the distinct texts, cut from `text` at
  // UTF-16 offsets), 3 blob (cut from `blobs` at byte offsets). Returns each run's changes.
  SQL.Database.prototype.runEach = function runEach(statement, width, kinds, numbers, text, textEnds, textRefs, blobs, blobEnds) {
    const texts = [];
    let from = 0;
    for (const end of textEnds) {
      texts.push(text.substring(from, end));
      from = end;
    }
    const rows = kinds.length / width;
    const changed = new Uint32Array(rows);
    const row = new Array(width);
    let k = 0, n = 0, t = 0, b = 0, blobFrom = 0;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < width; c++, k++) {
        switch (kinds[k]) {
          case 0: row[c] = null; break;
          case 1: row[c] = numbers[n++]; break;
          case 2: row[c] = texts[textRefs[t++]]; break;
          default: { const end = blobEnds[b++]; row[c] = blobs.subarray(blobFrom, end); blobFrom = end; }
        }
      }
      try {
        statement.bind(row);
        statement.step();
      } finally {
        statement.reset();
      }
      changed[r] = this.getRowsModified();
    }
    return changed;
  };
}
