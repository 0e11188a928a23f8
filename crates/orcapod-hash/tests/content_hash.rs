//! `ContentHash` renderings: golden values and round-trip properties.

use orcapod_hash::semantic::{Identity, SemanticHasher};
use orcapod_hash::{ContentHash, HashError};
use proptest::prelude::*;

#[test]
fn golden_example() {
    let h = ContentHash::new("m", vec![0x00, 0xff, 0x10]);
    assert_eq!(h.method(), "m");
    assert_eq!(h.digest(), &[0x00, 0xff, 0x10]);
    assert_eq!(h.to_hex(), "00ff10");
    assert_eq!(h.to_decimal_string(), "65296");
    assert_eq!(
        h.to_uuid().to_string(),
        "e7737e25-a824-577d-8f5f-07eee3db302b"
    );
    assert_eq!(h.to_base64(), "AP8Q");
    assert_eq!(h.to_string(), "m:00ff10");
    assert_eq!(h.display_name(8), "m:00ff10");
    assert_eq!(h.display_name(3), "m:00f");
    assert_eq!(h.to_prefixed_digest(), b"m:\x00\xff\x10".to_vec());
    assert_eq!(h.to_hex_prefix(None), "00ff10");
    assert_eq!(h.to_hex_prefix(Some(0)), "00ff10");
    assert_eq!(h.to_hex_prefix(Some(4)), "00ff");
    assert_eq!(h.to_hex_prefix(Some(99)), "00ff10");
}

#[test]
fn parse_rejects_malformed_strings() {
    for bad in ["", "no-colon", ":00ff", "m:0", "m:0x", "m:00ff1", "m: 00"] {
        match bad.parse::<ContentHash>() {
            Err(HashError::InvalidHashString { input, reason }) => {
                assert_eq!(input, bad);
                assert!(!reason.is_empty());
            }
            other => panic!("{bad:?} parsed as {other:?}"),
        }
    }
    // Splits at the first ':' (semantic-type methods such as `path:sha256` do not round-trip).
    assert!("path:sha256:00".parse::<ContentHash>().is_err());
    assert!(ContentHash::from_hex("m", "0g").is_err());
    assert!(ContentHash::from_base64("m", "AP8").is_err());
    assert!(ContentHash::from_decimal_string("m", "-1", 4).is_err());
    assert!(ContentHash::from_decimal_string("m", "65536", 2).is_err());
}

#[test]
fn real_hash_strings_round_trip() {
    let semantic = "semantic_v0.1:73475cb40a568e8da8a045ced110137e159f890ac4da883b6b17dc651b3a8049";
    let arrow = "arrow_v0.1:00000123db244211f2c6c9e66196af0bfaaf3653d518f46e19afa7c628dd53029e8784";
    for text in [semantic, arrow] {
        let h: ContentHash = text.parse().unwrap();
        assert_eq!(h.to_string(), text);
    }
    let a: ContentHash = arrow.parse().unwrap();
    assert_eq!(a.digest().len(), 35);
    let prefixed = a.to_prefixed_digest();
    assert_eq!(prefixed.len(), "arrow_v0.1:".len() + 35);
    assert!(prefixed.starts_with(b"arrow_v0.1:"));
    // The lib.rs example value.
    let h = SemanticHasher::new().hash(&Identity::Int(42)).unwrap();
    assert_eq!(h.to_string(), semantic);
}

fn method() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_.]{0,15}"
}

fn digest() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..48)
}

proptest! {
    #[test]
    fn display_from_str_round_trip(m in method(), d in digest()) {
        let h = ContentHash::new(m.clone(), d);
        let text = h.to_string();
        prop_assert_eq!(&text, &format!("{}:{}", m, h.to_hex()));
        prop_assert_eq!(text.parse::<ContentHash>().unwrap(), h);
    }

    #[test]
    fn hex_round_trip(m in method(), d in digest()) {
        let h = ContentHash::new(m.clone(), d.clone());
        let hex = h.to_hex();
        prop_assert_eq!(hex.len(), 2 * d.len());
        prop_assert!(hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        prop_assert_eq!(ContentHash::from_hex(&m, &hex).unwrap(), h.clone());
        prop_assert_eq!(ContentHash::from_hex(&m, &hex.to_uppercase()).unwrap(), h);
    }

    #[test]
    fn hex_prefix_is_a_prefix(d in digest(), n in 0usize..120) {
        let h = ContentHash::new("m", d);
        let full = h.to_hex();
        let p = h.to_hex_prefix(Some(n));
        if n == 0 {
            prop_assert_eq!(&p, &full);
        } else {
            prop_assert_eq!(p.len(), n.min(full.len()));
            prop_assert!(full.starts_with(&p));
        }
        prop_assert_eq!(h.to_hex_prefix(None), full.clone());
        prop_assert_eq!(h.display_name(n), format!("m:{}", &full[..n.min(full.len())]));
    }

    #[test]
    fn decimal_round_trip(m in method(), d in digest()) {
        let h = ContentHash::new(m.clone(), d.clone());
        let dec = h.to_decimal_string();
        prop_assert!(dec.bytes().all(|b| b.is_ascii_digit()));
        prop_assert!(dec == "0" || !dec.starts_with('0'));
        prop_assert_eq!(ContentHash::from_decimal_string(&m, &dec, d.len()).unwrap(), h);
    }

    #[test]
    fn decimal_matches_u128(d in prop::collection::vec(any::<u8>(), 0..=16)) {
        let mut padded = [0u8; 16];
        padded[16 - d.len()..].copy_from_slice(&d);
        let want = u128::from_be_bytes(padded).to_string();
        prop_assert_eq!(ContentHash::new("m", d).to_decimal_string(), want);
    }

    #[test]
    fn base64_round_trip(m in method(), d in digest()) {
        let h = ContentHash::new(m.clone(), d);
        prop_assert_eq!(ContentHash::from_base64(&m, &h.to_base64()).unwrap(), h);
    }

    #[test]
    fn uuid_is_v5_of_hex(d in digest()) {
        let h = ContentHash::new("m", d.clone());
        let u = h.to_uuid();
        prop_assert_eq!(u.get_version_num(), 5);
        prop_assert_eq!(u, uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, h.to_hex().as_bytes()));
        // The method does not enter the UUID.
        prop_assert_eq!(u, ContentHash::new("other", d).to_uuid());
    }

    #[test]
    fn prefixed_digest_layout(m in method(), d in digest()) {
        let h = ContentHash::new(m.clone(), d.clone());
        let mut want = m.into_bytes();
        want.push(b':');
        want.extend_from_slice(&d);
        prop_assert_eq!(h.to_prefixed_digest(), want);
    }

    #[test]
    fn serde_round_trip(m in method(), d in digest()) {
        let h = ContentHash::new(m, d);
        let json = serde_json::to_string(&h).unwrap();
        prop_assert_eq!(serde_json::from_str::<ContentHash>(&json).unwrap(), h);
    }

    #[test]
    fn ordering_is_method_then_digest(a in digest(), b in digest()) {
        let x = ContentHash::new("m", a.clone());
        let y = ContentHash::new("m", b.clone());
        prop_assert_eq!(x.cmp(&y), a.cmp(&b));
        prop_assert!(ContentHash::new("a", b) < ContentHash::new("b", a));
    }

    /// Floats serialise to JSON text that parses back to the same value.
    #[test]
    fn float_json_round_trips(bits in any::<u64>()) {
        let f = f64::from_bits(bits);
        prop_assume!(f.is_finite());
        let json = SemanticHasher::new().canonical_json(&Identity::Float(f)).unwrap();
        let back: f64 = json.parse().unwrap();
        prop_assert_eq!(back.to_bits(), f.to_bits(), "{}", json);
        prop_assert!(json.contains('.') || json.contains('e'), "{}", json);
    }

    /// Map entry order and set item order do not affect the hash.
    #[test]
    fn map_and_set_order_insensitive(
        entries in prop::collection::btree_map("[a-zé_]{0,6}", any::<i64>(), 0..8),
        seed in any::<u64>(),
    ) {
        let hs = SemanticHasher::new();
        let mut kv: Vec<(String, Identity)> =
            entries.iter().map(|(k, v)| (k.clone(), Identity::Int(*v))).collect();
        let forward = hs.hash(&Identity::Map(kv.clone())).unwrap();
        let items: Vec<Identity> = kv.iter().map(|(k, _)| Identity::str(k.clone())).collect();
        let set_forward = hs.hash(&Identity::Set(items.clone())).unwrap();
        let len = kv.len().max(1);
        kv.rotate_left(usize::try_from(seed % len as u64).unwrap());
        kv.reverse();
        let mut shuffled = items;
        shuffled.reverse();
        prop_assert_eq!(hs.hash(&Identity::Map(kv)).unwrap(), forward);
        prop_assert_eq!(hs.hash(&Identity::Set(shuffled)).unwrap(), set_forward);
    }
}
