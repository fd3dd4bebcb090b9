//! The batched f64 interpreter (CPU path): used for symbolic regression, fingerprints and tests.

use super::Program;
use super::ops::KernelContext;
use super::value::Value;

/// Reusable buffers for evaluating programs; keep one per thread to avoid allocations.
#[derive(Debug, Default)]
pub struct Interpreter {
    values: Vec<Value>,
    live: Vec<bool>,
}

impl Interpreter {
    /// A fresh interpreter.
    pub fn new() -> Self {
        Self::default()
    }

    /// Evaluates `program` on `inputs` (one [`Value`] per program input, in order) and returns
    /// the output value. Dead nodes are skipped. The program must be valid (see
    /// [`super::validate::infer_types`]); arguments are not re-checked here.
    pub fn run<'a>(
        &'a mut self,
        program: &Program,
        inputs: &'a [Value],
        ctx: &mut KernelContext<'_>,
    ) -> &'a Value {
        let n_in = program.inputs.len();
        debug_assert_eq!(inputs.len(), n_in, "one value per input");
        if program.output < n_in {
            return &inputs[program.output];
        }
        self.mark_live(program);
        if self.values.len() < program.nodes.len() {
            self.values.resize_with(program.nodes.len(), Value::default);
        }
        for (k, node) in program.nodes.iter().enumerate() {
            if !self.live[n_in + k] {
                continue;
            }
            let (done, rest) = self.values.split_at_mut(k);
            let out = &mut rest[0];
            if node.op.is_const() {
                out.reshape_for(1, 1);
                out.data[0] = node.value.unwrap_or(0.0);
                continue;
            }
            let get = |a: usize| -> &Value {
                if a < n_in {
                    &inputs[a]
                } else {
                    &done[a - n_in]
                }
            };
            let kernel = node.op.spec().kernel;
            match node.args.len() {
                1 => kernel(&[get(node.args[0])], out, ctx),
                2 => kernel(&[get(node.args[0]), get(node.args[1])], out, ctx),
                _ => {
                    let args: Vec<&Value> = node.args.iter().map(|&a| get(a)).collect();
                    kernel(&args, out, ctx)
                }
            }
        }
        &self.values[program.output - n_in]
    }

    fn mark_live(&mut self, p: &Program) {
        let n_in = p.inputs.len();
        self.live.clear();
        self.live.resize(p.len(), false);
        self.live[p.output] = true;
        for i in (n_in..p.len()).rev() {
            if self.live[i] {
                for &a in &p.nodes[i - n_in].args {
                    self.live[a] = true;
                }
            }
        }
    }
}
