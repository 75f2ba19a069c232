//! The golden-vector checker shared by the native, node and browser runners. The file and the
//! model are compiled in (`include_*!`), so the same code runs where there is no file system.
#![allow(dead_code)]

use scorer::{features, shot::Shot, FeatureRow, Model};

pub const GOLDEN: &str = include_str!("../../../testdata/golden/golden.json");
pub const MODEL: &[u8] = include_bytes!("../../../testdata/models/test-model.xgm");

pub fn hex_bytes(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

pub fn bits(s: &str) -> u32 {
    u32::from_str_radix(s, 16).expect("hex bits")
}

/// Checks every case bit for bit, single and batched. Returns the number of cases checked.
pub fn check_golden() -> usize {
    let golden: serde_json::Value = serde_json::from_str(GOLDEN).expect("golden JSON");
    let model = Model::parse(MODEL).expect("test model parses");
    assert_eq!(
        golden["feature_set_id"].as_str().unwrap(),
        format!("{:016x}", scorer::FEATURE_SET_ID),
        "golden file was blessed for another feature table"
    );
    let cases = golden["cases"].as_array().expect("cases");
    let mut rows: Vec<FeatureRow> = Vec::new();
    let mut expected_xg = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let shot = Shot::from_flat(&hex_bytes(case["flat"].as_str().unwrap()))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let row = features::extract(&shot);
        let want: Vec<u32> = case["feature_bits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| bits(v.as_str().unwrap()))
            .collect();
        let got: Vec<u32> = row.iter().map(|v| v.to_bits()).collect();
        assert_eq!(got, want, "{name}: feature bits differ");
        let xg = bits(case["xg_bits"].as_str().unwrap());
        assert_eq!(model.predict(&row).to_bits(), xg, "{name}: xG bits differ");
        rows.push(row);
        expected_xg.push(xg);
    }
    let mut out = vec![0.0; rows.len()];
    model.predict_batch(&rows, &mut out);
    for (i, (o, want)) in out.iter().zip(&expected_xg).enumerate() {
        assert_eq!(o.to_bits(), *want, "case {i}: batched xG bits differ");
    }
    cases.len()
}
