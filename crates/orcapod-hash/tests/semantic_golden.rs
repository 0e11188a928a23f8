//! Golden tests: the semantic hasher reproduces orcapod-python's hashes byte for byte.
//!
//! Values come from the orcapod-python 0.1.4 fixtures under `<shared>/fixtures/` (loaded
//! at run time) and from the reference spec (§4.2 type tokens, §4.6 worked example).
//! `<shared>` is `$ORCAPOD_SHARED_DIR`, or `../../../shared` relative to this crate.

use std::path::PathBuf;

use orcapod_hash::ContentHash;
use orcapod_hash::semantic::{Identity, SemanticHasher, generic_alias_identity, union_identity};
use serde_json::Value;

fn shared_dir() -> PathBuf {
    match std::env::var_os("ORCAPOD_SHARED_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    }
}

fn fixture(name: &str) -> Value {
    let path = shared_dir()
        .join("fixtures/orcapod-python-0.1.4")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "golden fixture {} is missing or unreadable ({e}); set ORCAPOD_SHARED_DIR to the \
             shared directory that contains fixtures/orcapod-python-0.1.4/",
            path.display()
        )
    });
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("fixture {} is not valid JSON: {e}", path.display()))
}

fn hasher() -> SemanticHasher {
    SemanticHasher::new()
}

fn hash(v: &Identity) -> ContentHash {
    hasher().hash(v).unwrap()
}

fn parse(s: &str) -> ContentHash {
    s.parse()
        .unwrap_or_else(|e| panic!("bad hash string {s}: {e}"))
}

fn s(x: &str) -> Identity {
    Identity::str(x)
}

fn h(x: ContentHash) -> Identity {
    Identity::Hash(x)
}

fn tuple<const N: usize>(items: [Identity; N]) -> Identity {
    Identity::Tuple(items.into())
}

fn set<const N: usize>(items: [Identity; N]) -> Identity {
    Identity::Set(items.into())
}

fn builtin(name: &str) -> ContentHash {
    hasher().type_token("builtins", name)
}

/// The token of a Python type as the fixtures print it (`int`, `str`, `int | None`...).
fn py_type(name: &str) -> ContentHash {
    if let Some(inner) = name.strip_suffix(" | None") {
        return hash(&union_identity(vec![py_type(inner), builtin("NoneType")]));
    }
    match name {
        "int" | "str" | "float" | "bool" | "bytes" => builtin(name),
        other => panic!("fixture uses Python type {other:?}, unknown to this test"),
    }
}

/// A Python `Schema` (column name → type) as the hasher sees it: a mapping to type tokens.
fn schema(columns: &Value) -> Identity {
    let columns = columns.as_object().expect("schema object");
    Identity::Map(
        columns
            .iter()
            .map(|(name, ty)| (name.clone(), h(py_type(ty.as_str().expect("type name")))))
            .collect(),
    )
}

/// `(content_hash, pipeline_hash)` of a fixture element (under `hashes`, or inline for the
/// operator entries).
fn hashes(v: &Value) -> (ContentHash, ContentHash) {
    let hs = v.get("hashes").unwrap_or(v);
    (
        parse(hs["content_hash"].as_str().expect("content_hash")),
        parse(hs["pipeline_hash"].as_str().expect("pipeline_hash")),
    )
}

#[test]
fn hashing_fixture_semantic_entries() {
    let fx = fixture("hashing.json");
    assert_eq!(fx["context_key"], "std:v0.1:default");
    assert_eq!(fx["semantic_hasher"]["hasher_id"], "semantic_v0.1");
    let entries = fx["semantic"].as_object().expect("semantic entries");
    assert!(!entries.is_empty());
    for (name, want) in entries {
        let value = match name.as_str() {
            "int_42" => Identity::Int(42),
            "str_hello" => s("hello"),
            "list_1_2_3" => Identity::list([1i64, 2, 3].map(Identity::Int)),
            "dict_a1_b2" => Identity::map([("a", Identity::Int(1)), ("b", Identity::Int(2))]),
            "dict_b2_a1" => Identity::map([("b", Identity::Int(2)), ("a", Identity::Int(1))]),
            "tuple_x_1" => tuple([s("x"), Identity::Int(1)]),
            "none" => Identity::Null,
            "float_1_5" => Identity::Float(1.5),
            "type_int" => h(builtin("int")),
            other => panic!("hashing.json has a semantic entry {other:?} this test does not know"),
        };
        assert_eq!(
            hash(&value).to_string(),
            want.as_str().expect("hash string"),
            "semantic entry {name}"
        );
    }
}

#[test]
fn canonical_json_of_fixture_values() {
    let hs = hasher();
    assert_eq!(
        hs.canonical_json(&Identity::map([
            ("b", Identity::Int(2)),
            ("a", Identity::Int(1))
        ]))
        .unwrap(),
        r#"{"a":1,"b":2}"#
    );
    assert_eq!(
        hs.canonical_json(&Identity::list([1i64, 2, 3].map(Identity::Int)))
            .unwrap(),
        "[1,2,3]"
    );
    assert_eq!(hs.canonical_json(&Identity::Float(1.5)).unwrap(), "1.5");
    assert_eq!(
        hs.canonical_json(&s("type:builtins.int")).unwrap().len(),
        19,
        "spec: the int token is the SHA-256 of the 19-byte JSON text"
    );
}

#[test]
fn type_tokens() {
    let cases = [
        (
            "int",
            "24be397c58c33686e96b4f85a9f443fd2483564ec7dee1c14b96da3e60ec16ac",
        ),
        (
            "str",
            "309d607de6633b959ae5118171f079b2830f4b1340064fac065652e305b038ad",
        ),
        (
            "float",
            "0059c08fc7dfe19dc8d095b7e95d56e8d377bbe49ac30376a00105eca2e7c75f",
        ),
        (
            "bool",
            "cd8f971312b872f0e9a3ef40aa58d6bb537258e72a9a142e0cf712f0a35020e3",
        ),
        (
            "bytes",
            "f65cea8d1f29ca5b96d67caf1ced2f630b509e32574a7b78b9071958818a1c59",
        ),
    ];
    for (ty, want) in cases {
        let tok = builtin(ty);
        assert_eq!(tok.method(), "semantic_v0.1");
        assert_eq!(tok.to_hex(), want, "type token of {ty}");
        assert_eq!(tok, hasher().hash_str(&format!("type:builtins.{ty}")));
    }
    // list[int]: generic alias whose origin is the token of the class `list`.
    let list_int = generic_alias_identity(builtin("list"), vec![builtin("int")]);
    assert_eq!(
        hash(&list_int).to_hex(),
        "5c376e29b0cfebd85277c71c07c9996afaf06fab35f81681b82f705c9feafa3e"
    );
    // int | None (and Optional[int], None | int): order-insensitive union.
    let want = "91bc2bd8f4f083d6cbf6157350e693dd52b0bc06c57b7719db8581712098cd73";
    let a = union_identity(vec![builtin("int"), builtin("NoneType")]);
    let b = union_identity(vec![builtin("NoneType"), builtin("int")]);
    assert_eq!(hash(&a).to_hex(), want);
    assert_eq!(hash(&b).to_hex(), want);
    assert_eq!(py_type("int | None").to_hex(), want);
}

/// Spec §4.6, every value of the worked example.
#[test]
fn worked_example() {
    let ti = builtin("int");
    let tok = |x: &str| hasher().hash_str(x);
    let schemas_a = tuple([
        Identity::map([("id", h(ti.clone()))]),
        Identity::map([("x", h(ti.clone()))]),
    ]);
    let pipe_a = hash(&schemas_a);
    assert_eq!(
        pipe_a.to_string(),
        "semantic_v0.1:52eb0af767041c72432dda0c9e996a2d35aaf46f9ce5e42beb77b24c7133d4ae"
    );
    assert_eq!(pipe_a.to_hex_prefix(Some(12)), "52eb0af76704");
    let content_a = hash(&tuple([s("DictSource"), schemas_a.clone(), s("A")]));
    assert_eq!(
        content_a.to_hex(),
        "d3c0b9c9ea049fcf871a13cd85c026b9c3c9cbb20acd69a994802d0d536ea23e"
    );
    let schemas_b = tuple([
        Identity::map([("id", h(ti.clone()))]),
        Identity::map([("y", h(ti.clone()))]),
    ]);
    let pipe_b = hash(&schemas_b);
    assert!(pipe_b.to_hex().starts_with("1560128ecd1d25c2"));
    let content_b = hash(&tuple([s("DictSource"), schemas_b, s("B")]));

    let join = tok("Join");
    assert_eq!(
        join.to_hex(),
        "295ca9336dc1935b209d140b0b4cdda1d61024372adfee6f4b746781972e4e83"
    );
    let join_content = hash(&tuple([
        h(join.clone()),
        set([h(content_a.clone()), h(content_b.clone())]),
    ]));
    assert!(join_content.to_hex().starts_with("87554cd6"));
    // Commutative: set order does not matter.
    assert_eq!(
        join_content,
        hash(&tuple([
            h(join.clone()),
            set([h(content_b), h(content_a.clone())])
        ]))
    );
    let join_pipe = hash(&tuple([h(join), set([h(pipe_a.clone()), h(pipe_b)])]));
    assert_eq!(
        join_pipe.to_hex(),
        "1004643e1b59c5af687cd994184cd066f6db0275cd96ebf6ee3c61dd54f9fec4"
    );

    let out_schema = hash(&Identity::map([("z", h(ti.clone()))]));
    assert_eq!(
        out_schema.to_hex(),
        "63bb8e773e4d244209530f6397657227fa53dd0625990a55c7f9fe898c15cad3"
    );
    let uri = tuple([
        s("add_one"),
        s(&out_schema.to_string()),
        s("v0"),
        s("python.function.v0"),
    ]);
    let pod = hash(&uri);
    assert!(pod.to_hex().starts_with("1f63dc30"));
    let node_content = hash(&tuple([h(pod.clone()), set([h(content_a.clone())])]));
    assert!(node_content.to_hex().starts_with("c52877a9"));
    let node_pipe = hash(&tuple([h(pod), set([h(pipe_a)])]));
    assert_eq!(
        node_pipe.to_hex(),
        "54e667b6f72f4e9f983f4b646d1f3a530f2206bb8f1d54b69525f2de0d5a6b20"
    );

    let nullable = hash(&tuple([
        Identity::map([("id", h(ti.clone()))]),
        Identity::map([("v", h(py_type("int | None")))]),
    ]));
    assert!(nullable.to_hex().starts_with("40b9100e"));

    let batch = tuple([s("Batch"), Identity::Int(0), Identity::Bool(false)]);
    assert_eq!(
        hasher().canonical_json(&batch).unwrap(),
        r#"{"__type__":"tuple","items":["Batch",0,false]}"#
    );
    let select = tuple([
        s("SelectTagColumns"),
        Identity::list([s("id")]),
        Identity::Bool(true),
    ]);
    assert_eq!(
        hasher().canonical_json(&select).unwrap(),
        r#"{"__type__":"tuple","items":["SelectTagColumns",["id"],true]}"#
    );
    // A tuple of columns hashes differently from a list (spec §19 item 2).
    let select_tuple = tuple([
        s("SelectTagColumns"),
        tuple([s("id")]),
        Identity::Bool(true),
    ]);
    assert_ne!(hash(&select), hash(&select_tuple));
    // Unary operator stream: (operator token, 1-tuple of the upstream token).
    let batch_a = tuple([h(hash(&batch)), tuple([h(content_a)])]);
    assert_eq!(
        hasher().canonical_json(&batch_a).unwrap(),
        format!(
            r#"{{"__type__":"tuple","items":["{}",{{"__type__":"tuple","items":["{}"]}}]}}"#,
            hash(&batch),
            hash(&tuple([s("DictSource"), schemas_a, s("A")]))
        )
    );
}

/// The Python class behind each source of `sources.json` (not recorded in the fixture).
fn source_class(key: &str) -> &'static str {
    match key {
        "a" | "b" | "c" | "a2" | "seven" | "abc" => "DictSource",
        "arrow_default" | "arrow_recid" | "arrow_nullable" => "ArrowTableSource",
        other => panic!("sources.json has a source {other:?} this test does not know"),
    }
}

/// Root-source identity in orcapod 0.1.4 (unchanged from the reference spec §4.5):
///
/// * content: `(ClassName, (tag_schema, packet_schema), source_id)`
/// * pipeline: `(tag_schema, packet_schema)`
///
/// where each schema is a mapping column → type token (nullable columns: the token of
/// `T | None`), `ClassName` is the Python class (`DictSource`, `ArrowTableSource`) and
/// `source_id` is the explicit id or, for unnamed Arrow sources, the full 70-hex table hash.
#[test]
fn source_content_and_pipeline_hashes() {
    let fx = fixture("sources.json");
    let sources = fx["sources"].as_object().expect("sources");
    assert!(sources.len() >= 9);
    for (key, src) in sources {
        let schemas = tuple([
            schema(&src["output_schema"]["tag"]),
            schema(&src["output_schema"]["data"]),
        ]);
        let source_id = src["source_id"].as_str().expect("source_id");
        let identity = tuple([s(source_class(key)), schemas.clone(), s(source_id)]);
        let (content, pipeline) = hashes(src);
        assert_eq!(hash(&schemas), pipeline, "pipeline hash of source {key}");
        assert_eq!(hash(&identity), content, "content hash of source {key}");
        // System-tag columns are named after the full pipeline hash (0.1.4).
        let tags = src["output_schema_all_info"]["tag"]
            .as_object()
            .expect("tags");
        assert!(tags.contains_key(&format!("_tag_source_id::{}", pipeline.to_hex())));
    }
    let a = &sources["a"];
    assert_eq!(
        hashes(a).0.to_hex(),
        "0a4a186c0de750d130a6091b817dca303cbb5a773fc0473f75951b71fec59d59"
    );
}

/// 0.1.4 blueprint source-slot identity (delta §9.2): `("source_node", name, tag_schema,
/// data_schema)`, source `A` → `c41eed238cb7…`.
#[test]
fn source_node_slot_identity() {
    let ti = builtin("int");
    let slot = tuple([
        s("source_node"),
        s("A"),
        Identity::map([("id", h(ti.clone()))]),
        Identity::map([("x", h(ti))]),
    ]);
    assert!(hash(&slot).to_hex().starts_with("c41eed238cb7"));
}

/// Operator and operator-stream identities from the 0.1.4 fixtures:
///
/// * operator token: `T(ClassName)` for Join/SemiJoin, `T((ClassName, params...))` otherwise;
/// * stream: `(operator token, upstreams)` with upstreams a set (commutative Join) or a tuple
///   (SemiJoin, unary operators) of the upstream content (resp. pipeline) hashes.
#[test]
fn operator_stream_hashes() {
    let sources = fixture("sources.json")["sources"].clone();
    let src = |k: &str| hashes(&sources[k]);
    let tok = |x: &str| hasher().hash_str(x);

    let join = fixture("join.json");
    let join_op = tok("Join");
    assert_eq!(hashes(&join["join_pod_hashes"]).0, join_op);
    for (case, (l, r)) in [("join_ab", ("a", "b")), ("join_ba", ("b", "a"))] {
        let (content, pipeline) = hashes(&join[case]);
        let stream = |pick: fn((ContentHash, ContentHash)) -> ContentHash| {
            hash(&tuple([
                h(join_op.clone()),
                set([h(pick(src(l))), h(pick(src(r)))]),
            ]))
        };
        assert_eq!(stream(|p| p.0), content, "{case} content");
        assert_eq!(stream(|p| p.1), pipeline, "{case} pipeline");
    }

    let semi = fixture("semijoin.json");
    let semi_op = tok("SemiJoin");
    assert_eq!(hashes(&semi["semijoin_pod_hashes"]).0, semi_op);
    for (case, (l, r)) in [("semijoin_a_b", ("a", "b")), ("semijoin_b_a", ("b", "a"))] {
        let (content, pipeline) = hashes(&semi[case]);
        let ordered = |x: ContentHash, y: ContentHash| {
            hash(&tuple([h(semi_op.clone()), tuple([h(x), h(y)])]))
        };
        assert_eq!(ordered(src(l).0, src(r).0), content, "{case} content");
        assert_eq!(ordered(src(l).1, src(r).1), pipeline, "{case} pipeline");
    }

    let unary = |op: &ContentHash, upstream: &str| {
        let (c, p) = src(upstream);
        (
            hash(&tuple([h(op.clone()), tuple([h(c)])])),
            hash(&tuple([h(op.clone()), tuple([h(p)])])),
        )
    };

    let batch = fixture("batch.json");
    let batch3 = hash(&tuple([
        s("Batch"),
        Identity::Int(3),
        Identity::Bool(false),
    ]));
    let batch3_drop = hash(&tuple([s("Batch"), Identity::Int(3), Identity::Bool(true)]));
    assert_eq!(hashes(&batch["batch_pod_hashes"]["batch3"]).0, batch3);
    assert_eq!(
        hashes(&batch["batch_pod_hashes"]["batch3_drop"]).0,
        batch3_drop
    );
    assert_eq!(unary(&batch3, "seven"), hashes(&batch["batch3"]));
    assert_eq!(
        unary(&batch3_drop, "seven"),
        hashes(&batch["batch3_drop_partial"])
    );

    let msd = fixture("map_select_drop.json");
    let map_data = hash(&tuple([
        s("MapData"),
        Identity::map([("x", s("z"))]),
        Identity::Bool(false),
    ]));
    assert_eq!(
        map_data.to_hex(),
        "5aa2f9f21acd9cd9e1272e5081e45cff764e71a935f8cc1f9d38d7132eb31d9d"
    );
    assert_eq!(hashes(&msd["pod_hashes"]["map_data"]).0, map_data);
    assert_eq!(unary(&map_data, "seven"), hashes(&msd["map_data_x_to_z"]));
    let map_tags = hash(&tuple([
        s("MapTags"),
        Identity::map([("id", s("key"))]),
        Identity::Bool(false),
    ]));
    assert_eq!(
        unary(&map_tags, "seven"),
        hashes(&msd["map_tags_id_to_key"])
    );
    let select_a = hash(&tuple([
        s("SelectDataColumns"),
        Identity::list([s("a")]),
        Identity::Bool(true),
    ]));
    assert_eq!(hashes(&msd["pod_hashes"]["select_a"]).0, select_a);
    assert_eq!(unary(&select_a, "abc"), hashes(&msd["select_data_a"]));
    let drop_b = hash(&tuple([
        s("DropDataColumns"),
        Identity::list([s("b")]),
        Identity::Bool(true),
    ]));
    assert_eq!(hashes(&msd["pod_hashes"]["drop_b"]).0, drop_b);
    assert_eq!(unary(&drop_b, "abc"), hashes(&msd["drop_data_b"]));
}

/// Function pods: identity = uri = `(name, output schema hash string, "v<major>",
/// "python.function.v0")`; pod stream = `(pod token, frozenset([input stream]))`.
#[test]
fn function_pod_hashes() {
    let sources = fixture("sources.json")["sources"].clone();
    let src = |k: &str| hashes(&sources[k]);
    let fx = fixture("function_pod.json");
    let pod = |case: &str| {
        let p = &fx[case];
        let out_schema = hash(&schema(&p["output_schema"]));
        assert_eq!(
            out_schema.to_string(),
            p["output_data_schema_hash"].as_str().unwrap(),
            "{case} output schema hash"
        );
        let uri = tuple([
            s(case),
            s(&out_schema.to_string()),
            s("v0"),
            s("python.function.v0"),
        ]);
        let token = hash(&uri);
        assert_eq!(
            (token.clone(), token.clone()),
            hashes(p),
            "{case} pod hashes"
        );
        token
    };
    let dpo = pod("double_plus_one");
    let sum_diff = pod("sum_diff");

    let (c, p) = src("seven");
    assert_eq!(
        (
            hash(&tuple([h(dpo.clone()), set([h(c)])])),
            hash(&tuple([h(dpo), set([h(p)])]))
        ),
        hashes(&fx["dpo_on_seven"])
    );

    let join = hasher().hash_str("Join");
    let (ac, ap) = src("a");
    let (cc, cp) = src("c");
    let join_c = hash(&tuple([h(join.clone()), set([h(ac), h(cc)])]));
    let join_p = hash(&tuple([h(join), set([h(ap), h(cp)])]));
    let want = hashes(&fx["sum_diff_on_join_a_c"]);
    assert_eq!(
        (
            hash(&tuple([h(sum_diff.clone()), set([h(join_c)])])),
            hash(&tuple([h(sum_diff), set([h(join_p)])]))
        ),
        want
    );
    assert_eq!(hashes(&fx["dpo_two_streams_joined_implicitly"]), want);
}

#[test]
fn bytes_hash_like_hex_string() {
    let hs = hasher();
    assert_eq!(
        hs.hash(&Identity::Bytes(b"hello".to_vec())).unwrap(),
        hs.hash_str("68656c6c6f")
    );
    // 0.1.4 UUID handler: the 16 bytes, i.e. the hyphen-less hex string.
    let id = uuid::Uuid::parse_str("877ec89b-6645-5852-ba37-a94604043f5e").unwrap();
    assert_eq!(
        hs.hash(&Identity::Bytes(id.as_bytes().to_vec())).unwrap(),
        hs.hash_str(&id.simple().to_string())
    );
}
