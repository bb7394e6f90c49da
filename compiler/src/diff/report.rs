//! JSON files field by field: `report.json`, `machine.json`, and any other
//! JSON file.
//!
//! Objects are compared key by key (order does not matter); arrays of
//! objects that all have a distinct `name` are matched by name
//! (`populations[E].cores`), arrays of objects with distinct `x` and `y` by
//! chip (`chips[(0, 1)].links`), arrays of plain values as multisets (a
//! core added to a chip's list is one difference, not a shifted list), and
//! other arrays by index. Numbers are equal within the tolerance of the
//! last [`FieldTolerance`] whose pattern matches their path, exact by
//! default; a changed number's detail is `+x, +y %`.

use serde_json::Value;

use super::files::{presence, BuildDir};
use super::{delta_text, glob_matches, DiffError, Difference, FieldTolerance, Kind, Tolerance};

/// Compares the JSON file `rel` of both directories.
pub(crate) fn compare_file(
    a: &BuildDir,
    b: &BuildDir,
    rel: &str,
    tolerances: &[FieldTolerance],
    out: &mut Vec<Difference>,
) -> Result<(), DiffError> {
    match (a.read_opt(rel)?, b.read_opt(rel)?) {
        (Some(x), Some(y)) => compare_json_bytes(rel, &x, &y, tolerances, out),
        (x, y) => presence(rel, x.as_deref(), y.as_deref(), out),
    }
    Ok(())
}

/// Parses both sides and compares them; a side that is not JSON is a
/// [`Kind::Malformed`] difference (unless the bytes are the same).
pub fn compare_json_bytes(
    rel: &str,
    a: &[u8],
    b: &[u8],
    tolerances: &[FieldTolerance],
    out: &mut Vec<Difference>,
) {
    if a == b {
        return;
    }
    let parse = |x: &[u8]| serde_json::from_slice::<Value>(x).map_err(|e| e.to_string());
    match (parse(a), parse(b)) {
        (Ok(x), Ok(y)) => compare_values(rel, &x, &y, tolerances, out),
        (x, y) => out.push(malformed(rel, x.err(), y.err())),
    }
}

/// A malformed-file difference: the messages of the sides that failed.
pub(crate) fn malformed(rel: &str, a: Option<String>, b: Option<String>) -> Difference {
    let v = |m: Option<String>| m.map(Value::from).unwrap_or(Value::Null);
    Difference::new(rel, "", Kind::Malformed, v(a), v(b))
}

/// Compares two JSON values of the file `rel`.
pub fn compare_values(
    rel: &str,
    a: &Value,
    b: &Value,
    tolerances: &[FieldTolerance],
    out: &mut Vec<Difference>,
) {
    Walk {
        rel,
        tolerances,
        out,
    }
    .value("", a, b);
}

struct Walk<'a> {
    rel: &'a str,
    tolerances: &'a [FieldTolerance],
    out: &'a mut Vec<Difference>,
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

impl Walk<'_> {
    fn push(&mut self, path: &str, kind: Kind, a: &Value, b: &Value) {
        self.out
            .push(Difference::new(self.rel, path, kind, a.clone(), b.clone()));
    }

    fn tolerance(&self, path: &str) -> Tolerance {
        self.tolerances
            .iter()
            .rev()
            .find(|t| glob_matches(&t.pattern, path))
            .map(|t| t.tolerance)
            .unwrap_or_default()
    }

    fn value(&mut self, path: &str, a: &Value, b: &Value) {
        match (a, b) {
            (Value::Object(x), Value::Object(y)) => {
                for (k, va) in x {
                    match y.get(k) {
                        Some(vb) => self.value(&join(path, k), va, vb),
                        None => self.push(&join(path, k), Kind::Removed, va, &Value::Null),
                    }
                }
                for (k, vb) in y {
                    if !x.contains_key(k) {
                        self.push(&join(path, k), Kind::Added, &Value::Null, vb);
                    }
                }
            }
            (Value::Array(x), Value::Array(y)) => self.array(path, x, y),
            (Value::Number(x), Value::Number(y)) => {
                if x == y {
                    return;
                }
                let (fa, fb) = (
                    x.as_f64().unwrap_or(f64::NAN),
                    y.as_f64().unwrap_or(f64::NAN),
                );
                if !self.tolerance(path).accepts(fa, fb) {
                    self.out.push(
                        Difference::new(self.rel, path, Kind::Changed, a.clone(), b.clone())
                            .with_detail(delta_text(fa, fb)),
                    );
                }
            }
            _ if a == b => {}
            _ => self.push(path, Kind::Changed, a, b),
        }
    }

    fn array(&mut self, path: &str, x: &[Value], y: &[Value]) {
        if let (Some(kx), Some(ky)) = (keys(x), keys(y)) {
            for (k, va) in kx.iter().zip(x) {
                let p = format!("{path}[{k}]");
                match ky.iter().position(|kb| kb == k) {
                    Some(i) => self.value(&p, va, &y[i]),
                    None => self.push(&p, Kind::Removed, va, &Value::Null),
                }
            }
            for (k, vb) in ky.iter().zip(y) {
                if !kx.contains(k) {
                    self.push(&format!("{path}[{k}]"), Kind::Added, &Value::Null, vb);
                }
            }
            return;
        }
        let plain = |v: &[Value]| v.iter().all(|e| !e.is_object() && !e.is_array());
        if plain(x) && plain(y) {
            // Multisets: what one side has more of.
            let text = |v: &Value| v.to_string();
            let mut sx: Vec<&Value> = x.iter().collect();
            let mut sy: Vec<&Value> = y.iter().collect();
            sx.sort_by_key(|v| text(v));
            sy.sort_by_key(|v| text(v));
            let (mut i, mut j) = (0, 0);
            let mut changed = false;
            while i < sx.len() || j < sy.len() {
                let order = match (sx.get(i), sy.get(j)) {
                    (Some(p), Some(q)) => text(p).cmp(&text(q)),
                    (Some(_), None) => std::cmp::Ordering::Less,
                    _ => std::cmp::Ordering::Greater,
                };
                match order {
                    std::cmp::Ordering::Equal => {
                        i += 1;
                        j += 1;
                    }
                    std::cmp::Ordering::Less => {
                        self.push(path, Kind::Removed, sx[i], &Value::Null);
                        changed = true;
                        i += 1;
                    }
                    std::cmp::Ordering::Greater => {
                        self.push(path, Kind::Added, &Value::Null, sy[j]);
                        changed = true;
                        j += 1;
                    }
                }
            }
            if !changed && x != y {
                self.out.push(
                    Difference::new(
                        self.rel,
                        path,
                        Kind::Changed,
                        Value::Array(x.to_vec()),
                        Value::Array(y.to_vec()),
                    )
                    .with_detail("same elements, another order"),
                );
            }
            return;
        }
        for (i, (va, vb)) in x.iter().zip(y).enumerate() {
            self.value(&format!("{path}[{i}]"), va, vb);
        }
        for (i, va) in x.iter().enumerate().skip(y.len()) {
            self.push(&format!("{path}[{i}]"), Kind::Removed, va, &Value::Null);
        }
        for (i, vb) in y.iter().enumerate().skip(x.len()) {
            self.push(&format!("{path}[{i}]"), Kind::Added, &Value::Null, vb);
        }
    }
}

/// The keys that identify the elements of an array of objects: `name`, or
/// `(x, y)`; `None` unless every element has one and they are distinct.
fn keys(v: &[Value]) -> Option<Vec<String>> {
    let by_name: Option<Vec<String>> = v
        .iter()
        .map(|e| e.get("name").and_then(Value::as_str).map(str::to_string))
        .collect();
    let by_chip = || -> Option<Vec<String>> {
        v.iter()
            .map(|e| {
                let (x, y) = (e.get("x")?.as_i64()?, e.get("y")?.as_i64()?);
                Some(format!("({x}, {y})"))
            })
            .collect()
    };
    let k = by_name.or_else(by_chip)?;
    let mut sorted = k.clone();
    sorted.sort_unstable();
    sorted.dedup();
    (sorted.len() == k.len()).then_some(k)
}

/// The population sizes of a `report.json`, by name (for rates).
pub(crate) fn population_sizes(report: &[u8]) -> Vec<(String, u64)> {
    let Ok(v) = serde_json::from_slice::<Value>(report) else {
        return Vec::new();
    };
    v.get("populations")
        .and_then(Value::as_array)
        .map(|ps| {
            ps.iter()
                .filter_map(|p| {
                    Some((
                        p.get("name")?.as_str()?.to_string(),
                        p.get("neurons")?.as_u64()?,
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn diff(a: Value, b: Value, tol: &[FieldTolerance]) -> Vec<Difference> {
        let mut out = Vec::new();
        compare_values("report.json", &a, &b, tol, &mut out);
        out
    }

    #[test]
    fn populations_match_by_name_and_numbers_take_tolerances() {
        let a = json!({"cores_used": 17, "populations": [
            {"name": "E", "cores": 13}, {"name": "I", "cores": 4}]});
        let b = json!({"cores_used": 18, "populations": [
            {"name": "I", "cores": 5}, {"name": "E", "cores": 13}, {"name": "X", "cores": 1}]});
        let d = diff(a.clone(), b.clone(), &[]);
        let paths: Vec<(&str, Kind)> = d.iter().map(|d| (d.path.as_str(), d.kind)).collect();
        assert_eq!(
            paths,
            [
                ("cores_used", Kind::Changed),
                ("populations[I].cores", Kind::Changed),
                ("populations[X]", Kind::Added)
            ]
        );
        assert_eq!(d[0].detail.as_deref(), Some("+1, +5.88 %"));
        let tol = [FieldTolerance::parse("*cores*=10%").unwrap()];
        let d = diff(a, b, &tol);
        assert_eq!(d.len(), 2, "{d:?}");
    }

    #[test]
    fn plain_arrays_are_multisets() {
        let d = diff(
            json!({"cores": [1, 2, 3]}),
            json!({"cores": [1, 3, 4]}),
            &[],
        );
        let kinds: Vec<(Kind, String)> = d.iter().map(|d| (d.kind, d.path.clone())).collect();
        assert_eq!(
            kinds,
            [
                (Kind::Removed, "cores".to_string()),
                (Kind::Added, "cores".to_string())
            ]
        );
        assert_eq!((&d[0].a, &d[1].b), (&json!(2), &json!(4)));
    }
}
