//! The op registry against the exporters: every op a shipped space uses can be written in every
//! format that space's programs export to, and a new op needs nothing beyond its spec.

use super::lower::Convention;
use super::{ExportError, Format, Origin, can_lower, export};
use crate::program::ops::lowering::{Code, Latex, Prec};
use crate::program::ops::tensor::tensor_unary;
use crate::program::ops::{KernelContext, OpId, OpSpec, register, registry};
use crate::program::value::Value;
use crate::program::{DType, Program};
use std::collections::BTreeMap;

/// What one shipped space needs of each op it uses.
struct Need {
    /// The space.
    space: String,
    /// The formats its convention exports to.
    formats: Vec<Format>,
    /// Its programs are losses trained through `ProgramLoss` (burn tensor kernels).
    trains_on_burn: bool,
}

/// The needs of every shipped space, by op name.
fn requirements() -> BTreeMap<&'static str, Vec<Need>> {
    let mut needs: BTreeMap<&'static str, Vec<Need>> = BTreeMap::new();
    for name in crate::catalog::space_names() {
        let space = crate::catalog::load_space(&name).expect("shipped space loads");
        let convention = Convention::of_space(&space);
        let formats = convention.map(Convention::formats).unwrap_or(&[]).to_vec();
        let trains_on_burn = convention == Some(Convention::Loss);
        for op in &space.ops {
            needs.entry(op.name()).or_default().push(Need {
                space: name.clone(),
                formats: formats.clone(),
                trains_on_burn,
            });
        }
    }
    needs
}

#[test]
fn every_op_has_what_its_spaces_need() {
    let needs = requirements();
    assert!(
        needs.len() >= 40,
        "the shipped spaces use {} ops",
        needs.len()
    );
    let mut missing = Vec::new();
    for spec in registry() {
        let op = OpId::by_name(spec.name).expect("registered");
        for need in needs.get(spec.name).into_iter().flatten() {
            for &format in &need.formats {
                if !can_lower(op, format) {
                    missing.push(format!(
                        "{} ({}): no {format} lowering",
                        spec.name, need.space
                    ));
                }
            }
            if need.trains_on_burn && !op.is_const() && spec.tensor_kernel.is_none() {
                missing.push(format!("{} ({}): no burn kernel", spec.name, need.space));
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn space_conventions_follow_their_types() {
    let of = |name: &str| Convention::of_space(&crate::catalog::load_space(name).unwrap());
    assert_eq!(of("rl_loss_large"), Some(Convention::Loss));
    assert_eq!(of("optimizer"), Some(Convention::UpdateRule));
    assert_eq!(of("symbolic_regression"), Some(Convention::Plain));
    assert_eq!(of("architecture"), None);
    assert!(!Convention::UpdateRule.formats().contains(&Format::Burn));
}

fn k_cube(a: &[&Value], o: &mut Value, _: &mut KernelContext<'_>) {
    let x = a[0];
    o.reshape_for(x.rows, x.width);
    for (out, v) in o.data.iter_mut().zip(&x.data) {
        *out = v * v * v;
    }
}

fn k_untranslatable(a: &[&Value], o: &mut Value, ctx: &mut KernelContext<'_>) {
    k_cube(a, o, ctx)
}

fn rule_float(a: &[DType]) -> Option<DType> {
    (a[0] == DType::Float).then_some(DType::Float)
}

/// One spec entry is all a new op takes: registered here, it is parsed by name, evaluated and
/// exported to every format.
#[test]
fn a_new_op_is_one_spec_entry() {
    let cube = register(
        OpSpec::new("cube", 1, rule_float, k_cube)
            .elementwise()
            .tensor(tensor_unary!(|a| a.powi_scalar(3)))
            .latex(Latex::Template("@0!^{3}", Prec::Atom))
            .array(Code::template("{0} ** 3"))
            .pytorch(Code::template("{0} ** 3"))
            .burn(Code::template("{0}.powi_scalar(3)")),
    )
    .expect("a fresh name");
    let p = Program::from_json(
        r#"{"inputs": [{"name": "x0", "dtype": "float"}],
            "nodes": [{"op": "cube", "args": [0]}, {"op": "add", "args": [1, 0]}],
            "output": 2}"#,
        "test",
    )
    .unwrap();
    assert_eq!(p.nodes[0].op, cube);
    let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(0);
    let x = [Value::column(vec![2.0])];
    let y = crate::program::interpreter::Interpreter::new()
        .run(&p, &x, &mut KernelContext::new(&mut rng))
        .data
        .clone();
    assert_eq!(y, [10.0]);
    let expected = [
        (Format::Json, r#""op": "cube""#),
        (Format::Dot, "cube"),
        (Format::Svg, "cube"),
        (Format::Latex, r"x_{0}^{3} + x_{0}"),
        (Format::Numpy, "x0 ** 3"),
        (Format::Pytorch, "x0 ** 3"),
        (Format::Jax, "x0 ** 3"),
        (Format::Burn, "x0.clone().powi_scalar(3)"),
    ];
    assert_eq!(expected.len(), Format::ALL.len());
    for (format, text) in expected {
        let out = export(&p, format, &Origin::default()).unwrap();
        assert!(out.contains(text), "{format}: no `{text}` in\n{out}");
        assert!(can_lower(cube, format));
    }

    // Without a lowering the exporters say so instead of writing something wrong.
    let bare = register(OpSpec::new(
        "cube_without_lowering",
        1,
        rule_float,
        k_untranslatable,
    ))
    .expect("a fresh name");
    let mut q = p.clone();
    q.nodes[0].op = bare;
    for format in [Format::Numpy, Format::Pytorch, Format::Jax, Format::Burn] {
        assert!(!can_lower(bare, format));
        assert_eq!(
            export(&q, format, &Origin::default()).unwrap_err(),
            ExportError::UnsupportedOp {
                format,
                op: "cube_without_lowering".into(),
                node: 1
            }
        );
    }
    assert!(!can_lower(bare, Format::Latex));
}
