//! Inputs for a target: seeds changed by a few mutations, sequences of dictionary tokens, and
//! random bytes, as one proptest strategy. Every mutation is a value proptest can shrink (fewer
//! mutations, smaller positions and lengths), so a failing input shrinks towards its seed plus
//! the one change that matters.

use std::sync::Arc;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;

/// Integers that often sit on a boundary (lengths, counts, sizes).
const INTERESTING: [u32; 16] = [
    0,
    1,
    2,
    0x7F,
    0x80,
    0xFF,
    0x100,
    0x3FF,
    0x400,
    0x7FFF,
    0x8000,
    0xFFFF,
    0x1_0000,
    0x7FFF_FFFF,
    0x8000_0000,
    0xFFFF_FFFF,
];

/// One change to a seed.
#[derive(Clone, Debug)]
pub enum Mutation {
    /// Flip one bit.
    Flip(Index, u8),
    /// Overwrite one byte.
    Set(Index, u8),
    /// Insert random bytes.
    Insert(Index, Vec<u8>),
    /// Delete up to `n` bytes.
    Delete(Index, u16),
    /// Copy up to `n` bytes from one place to another.
    Duplicate(Index, u16, Index),
    /// Insert a dictionary token.
    Token(Index, Index),
    /// Overwrite with an interesting integer, big-endian, 1, 2 or 4 bytes wide.
    Interesting(Index, Index, u8),
    /// Overwrite with an interesting integer written in decimal (text protocols).
    Decimal(Index, Index),
    /// Cut the input.
    Truncate(Index),
    /// Insert up to `n` bytes of another seed.
    Splice(Index, Index, u16, Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        1 => (any::<Index>(), 0u8..8).prop_map(|(a, b)| Mutation::Flip(a, b)),
        1 => (any::<Index>(), any::<u8>()).prop_map(|(a, b)| Mutation::Set(a, b)),
        1 => (any::<Index>(), vec(any::<u8>(), 1..16)).prop_map(|(a, b)| Mutation::Insert(a, b)),
        1 => (any::<Index>(), 1u16..512).prop_map(|(a, n)| Mutation::Delete(a, n)),
        1 => (any::<Index>(), 1u16..256, any::<Index>()).prop_map(|(a, n, b)| Mutation::Duplicate(
            a, n, b
        )),
        3 => (any::<Index>(), any::<Index>()).prop_map(|(a, t)| Mutation::Token(a, t)),
        1 => (any::<Index>(), any::<Index>(), 0u8..3).prop_map(|(a, v, w)| Mutation::Interesting(
            a, v, w
        )),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, v)| Mutation::Decimal(a, v)),
        1 => (any::<Index>()).prop_map(Mutation::Truncate),
        1 => (any::<Index>(), any::<Index>(), 1u16..1024, any::<Index>())
            .prop_map(|(s, f, n, a)| Mutation::Splice(s, f, n, a)),
    ]
}

/// Position `at` in a buffer of `len` bytes (0..=len).
fn pos(at: &Index, len: usize) -> usize {
    at.index(len + 1)
}

fn overwrite(out: &mut Vec<u8>, at: usize, bytes: &[u8]) {
    for (i, b) in bytes.iter().enumerate() {
        match out.get_mut(at + i) {
            Some(slot) => *slot = *b,
            None => out.push(*b),
        }
    }
}

/// Applies `mutations` to `base` in order.
pub fn apply(base: &[u8], mutations: &[Mutation], dict: &[&[u8]], seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut out = base.to_vec();
    for m in mutations {
        let len = out.len();
        match m {
            Mutation::Flip(at, bit) if len > 0 => out[at.index(len)] ^= 1 << bit,
            Mutation::Set(at, b) if len > 0 => out[at.index(len)] = *b,
            Mutation::Insert(at, bytes) => {
                let p = pos(at, len);
                out.splice(p..p, bytes.iter().copied());
            }
            Mutation::Delete(at, n) if len > 0 => {
                let p = at.index(len);
                out.drain(p..(p + *n as usize).min(len));
            }
            Mutation::Duplicate(from, n, to) if len > 0 => {
                let f = from.index(len);
                let piece = out[f..(f + *n as usize).min(len)].to_vec();
                let t = pos(to, len);
                out.splice(t..t, piece);
            }
            Mutation::Token(at, token) if !dict.is_empty() => {
                let p = pos(at, len);
                let t = dict[token.index(dict.len())];
                out.splice(p..p, t.iter().copied());
            }
            Mutation::Interesting(at, value, width) => {
                let v = INTERESTING[value.index(INTERESTING.len())];
                let bytes = v.to_be_bytes();
                let wide = [1usize, 2, 4][*width as usize % 3];
                overwrite(&mut out, pos(at, len), &bytes[4 - wide..]);
            }
            Mutation::Decimal(at, value) => {
                let v = INTERESTING[value.index(INTERESTING.len())].to_string();
                let p = pos(at, len);
                out.splice(p..p, v.into_bytes());
            }
            Mutation::Truncate(at) => out.truncate(pos(at, len)),
            Mutation::Splice(seed, from, n, at) if !seeds.is_empty() => {
                let other = &seeds[seed.index(seeds.len())];
                if !other.is_empty() {
                    let f = from.index(other.len());
                    let piece = &other[f..(f + *n as usize).min(other.len())];
                    let p = pos(at, len);
                    out.splice(p..p, piece.iter().copied());
                }
            }
            _ => {}
        }
    }
    out
}

/// The inputs of a target: mutated seeds (most), dictionary token sequences, random bytes of up
/// to `max_len`, and the seeds themselves.
pub fn inputs(
    seeds: Arc<Vec<Vec<u8>>>,
    dict: &'static [&'static [u8]],
    max_len: usize,
) -> BoxedStrategy<Vec<u8>> {
    let random = vec(any::<u8>(), 0..=max_len.max(1)).boxed();
    let token = prop_oneof![
        3 => any::<Index>().prop_map(move |i| if dict.is_empty() {
            Vec::new()
        } else {
            dict[i.index(dict.len())].to_vec()
        }),
        1 => vec(any::<u8>(), 1..8),
    ];
    let tokens = vec(token, 0..48).prop_map(|parts| parts.concat()).boxed();
    if seeds.is_empty() {
        return prop_oneof![3 => tokens, 1 => random].boxed();
    }
    let for_mutation = seeds.clone();
    let mutated = (any::<Index>(), vec(mutation(), 1..8))
        .prop_map(move |(i, ms)| {
            let base = &for_mutation[i.index(for_mutation.len())];
            apply(base, &ms, dict, &for_mutation)
        })
        .boxed();
    let verbatim = any::<Index>()
        .prop_map(move |i| seeds[i.index(seeds.len())].clone())
        .boxed();
    prop_oneof![12 => mutated, 3 => tokens, 2 => random, 1 => verbatim].boxed()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    #[test]
    fn mutations_edit_where_they_say() {
        let idx = |n: usize| {
            // An Index that picks position `n` of a 4-byte input (len + 1 = 5 slots).
            let mut runner = TestRunner::deterministic();
            loop {
                let i = any::<Index>().new_tree(&mut runner).unwrap().current();
                if i.index(5) == n && i.index(4) == n.min(3) {
                    return i;
                }
            }
        };
        let base = b"abcd";
        assert_eq!(
            apply(base, &[Mutation::Set(idx(0), b'X')], &[], &[]),
            b"Xbcd"
        );
        assert_eq!(apply(base, &[Mutation::Truncate(idx(2))], &[], &[]), b"ab");
        assert_eq!(
            apply(base, &[Mutation::Token(idx(4), idx(0))], &[b"\r"], &[]),
            b"abcd\r"
        );
        assert_eq!(apply(base, &[Mutation::Delete(idx(1), 2)], &[], &[]), b"ad");
        let decimal = apply(base, &[Mutation::Decimal(idx(0), idx(0))], &[], &[]);
        assert!(
            decimal.ends_with(b"abcd") && decimal[0].is_ascii_digit(),
            "{decimal:?}"
        );
    }

    #[test]
    fn inputs_mix_seeds_and_generated_bytes() {
        let seeds = Arc::new(vec![b"SEED-ONE".to_vec(), b"SEED-TWO".to_vec()]);
        let strategy = inputs(seeds, &[b"TOKEN"], 32);
        let mut runner = TestRunner::deterministic();
        let values: Vec<Vec<u8>> = (0..300)
            .map(|_| strategy.new_tree(&mut runner).unwrap().current())
            .collect();
        assert!(values.iter().any(|v| v == b"SEED-ONE" || v == b"SEED-TWO"));
        assert!(values.iter().any(|v| v.windows(5).any(|w| w == b"TOKEN")));
        assert!(
            values
                .iter()
                .any(|v| v.starts_with(b"SEED") && v.len() != 8)
        );
        assert!(values.iter().any(|v| !v.starts_with(b"SEED")));
    }
}
