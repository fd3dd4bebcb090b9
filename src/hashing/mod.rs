//! Functional hashing (fingerprints), structural hashing and the functional equivalence cache.

pub mod fec;
pub mod fingerprint;
pub mod structural;

pub use fec::{FecConfig, FecEntry, FunctionalEquivalenceCache};
pub use fingerprint::{Fingerprint, fingerprint_of_outputs, quantize};
pub use structural::structural_hash;

#[cfg(test)]
mod equivalence_tests {
    //! Functional hashing catches rewritten-but-equal programs and keeps near misses apart.
    use super::*;
    use crate::domains::rl_loss::probe::LossProbe;
    use crate::domains::symbolic_regression::{Dataset, SymbolicRegressionEvaluator};
    use crate::engine::Evaluator;
    use crate::program::Program;
    use crate::program::space::SearchSpace;

    fn sr() -> SymbolicRegressionEvaluator {
        let src = crate::catalog::space("symbolic_regression").unwrap();
        let space = SearchSpace::from_toml(&src.text, &src.origin).unwrap();
        let d = Dataset {
            names: vec!["a".into(), "b".into(), "c".into()],
            columns: vec![vec![1.0], vec![2.0], vec![3.0]],
            target: vec![0.0],
        };
        SymbolicRegressionEvaluator::new(space, "t", &d, &d)
    }

    fn prog(nodes: &str, output: usize) -> Program {
        let text = format!(
            r#"{{"inputs":[{{"name":"a","dtype":"float"}},{{"name":"b","dtype":"float"}},{{"name":"c","dtype":"float"}}],"nodes":[{nodes}],"output":{output}}}"#
        );
        Program::from_json(&text, "test").unwrap()
    }

    fn fp(ev: &SymbolicRegressionEvaluator, p: &Program) -> Fingerprint {
        fingerprint_of_outputs(&ev.probe_outputs(p), 24)
    }

    #[test]
    fn distributivity_and_cancellation_collide() {
        let ev = sr();
        // a*(b+c) vs a*b + a*c
        let lhs = prog(r#"{"op":"add","args":[1,2]},{"op":"mul","args":[0,3]}"#, 4);
        let rhs = prog(
            r#"{"op":"mul","args":[0,1]},{"op":"mul","args":[0,2]},{"op":"add","args":[3,4]}"#,
            5,
        );
        assert_eq!(fp(&ev, &lhs), fp(&ev, &rhs));
        assert_ne!(structural_hash(&lhs), structural_hash(&rhs));
        // x - x vs 0
        let zero_a = prog(r#"{"op":"sub","args":[0,0]}"#, 3);
        let zero_b = prog(r#"{"op":"const","value":0.0},{"op":"add","args":[3,3]}"#, 4);
        assert_eq!(fp(&ev, &zero_a), fp(&ev, &zero_b));
    }

    #[test]
    fn near_misses_do_not_collide() {
        let ev = sr();
        let base = prog(r#"{"op":"mul","args":[0,1]}"#, 3);
        let scaled = prog(
            r#"{"op":"mul","args":[0,1]},{"op":"const","value":1.0001},{"op":"mul","args":[3,4]}"#,
            5,
        );
        let shifted = prog(
            r#"{"op":"mul","args":[0,1]},{"op":"const","value":1e-6},{"op":"add","args":[3,4]}"#,
            5,
        );
        let swapped = prog(r#"{"op":"div","args":[0,1]}"#, 3);
        let other = prog(r#"{"op":"div","args":[1,0]}"#, 3);
        let all = [&base, &scaled, &shifted, &swapped, &other];
        for (i, x) in all.iter().enumerate() {
            for y in &all[i + 1..] {
                assert_ne!(
                    fp(&ev, x),
                    fp(&ev, y),
                    "{} vs {}",
                    crate::program::print::infix(x),
                    crate::program::print::infix(y)
                );
            }
        }
    }

    fn seed(name: &str) -> Program {
        let (_, text) = crate::catalog::seeds("rl_loss")
            .into_iter()
            .find(|(n, _)| n == name)
            .unwrap();
        Program::from_json(&text, name).unwrap()
    }

    #[test]
    fn dqn_written_two_ways_collides_and_differs_from_dqn_reg() {
        let probe = LossProbe::new();
        let h = |p: &Program| fingerprint_of_outputs(&probe.outputs(p), 24);
        let dqn = seed("dqn");
        // 0.5 * (Q - Y)^2 instead of l2_distance(Q, Y); Y computed as (γ·max) + r.
        let mut alt = dqn.clone();
        alt.nodes.truncate(4); // Q list, Q, Q' list, max
        let n = |op: &str, args: &[usize], value: Option<f64>| crate::program::Node {
            op: crate::program::OpId::by_name(op).unwrap(),
            args: args.to_vec(),
            value,
        };
        alt.nodes.push(n("mul", &[10, 6], None)); // 11 max·γ
        alt.nodes.push(n("add", &[11, 5], None)); // 12 Y
        alt.nodes.push(n("sub", &[8, 12], None)); // 13 δ
        alt.nodes.push(n("square", &[13], None)); // 14 δ²
        alt.nodes.push(n("const", &[], Some(0.5))); // 15
        alt.nodes.push(n("mul", &[15, 14], None)); // 16
        alt.output = 16;
        crate::program::validate::infer_types(&alt).unwrap();
        assert_eq!(h(&dqn), h(&alt));
        assert_ne!(structural_hash(&dqn), structural_hash(&alt));
        for other in [
            "dqn_reg",
            "dqn_clipped",
            "double_dqn",
            "cql_dqn",
            "td_undiscounted",
        ] {
            assert_ne!(h(&dqn), h(&seed(other)), "dqn vs {other}");
        }
    }
}
