// @ts-check
// The engine ships as two builds of one crate: with wasm SIMD (128-bit lanes in the hot
// loops, about 1.4x the throughput) and without, for an engine that lacks it. They share
// one JS glue (scripts/build-web.sh checks it) and give the same bits (tests/e2e/simd.test.js).

// The smallest module using a SIMD instruction (i8x16.splat, i8x16.popcnt): valid only
// where the engine has SIMD.
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);

/** 'simd' where the engine has it and `plainAsked` is false, else 'plain'.
 * @param {boolean} plainAsked */
export function chooseBuild(plainAsked) {
  return !plainAsked && WebAssembly.validate(SIMD_PROBE) ? 'simd' : 'plain';
}

/** @param {string | null} build */
export function wasmUrl(build) {
  return new URL(build === 'simd' ? './pkg/btlab_web_simd_bg.wasm' : './pkg/btlab_web_bg.wasm', import.meta.url);
}
