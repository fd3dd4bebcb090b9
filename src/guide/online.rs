//! Online training of the discriminator, its held-out accuracy, its accounting and its
//! persistence (Co-Reyes et al. 2024, §3.2: the discriminator is trained online, with binary
//! cross-entropy on pairs of evaluated programs labelled `1[fit_a > fit_b]`).
//!
//! gevo's schedule: every program that is really evaluated enters the [`ReplayBuffer`]; once the
//! buffer holds `warmup` programs and after every further `retrain_every` real evaluations the
//! network takes `train_steps` Adam steps, each on `pairs_per_step` random non-tied pairs used
//! in both orderings. Adam's moments start fresh at every retrain (the weights carry over), so a
//! retrain depends only on the weights, the buffer and the guide's own RNG: what
//! [`GuideSnapshot`] stores, which makes resumed deterministic campaigns continue exactly.
//!
//! **Online accuracy**: before each retrain (after the first), the current network is scored on
//! every non-tied pair among the programs that arrived since the previous retrain: programs it has
//! never been trained on, from the part of the search it is about to guide. This is the held-out
//! figure reported over time ([`AccuracyPoint`]). While the last figure is below the floor
//! `min_accuracy`, the discriminator is switched off ([`OnlineDiscriminator::switched_on`]): a
//! guide no better than chance would only discard good children. It keeps training and is
//! measured again before the next retrain, so it switches back on when it recovers; the switches
//! are kept in [`GuideStats::switches`].

use super::GuideConfig;
use super::buffer::{ReplayBuffer, StoredEntry, label, rank};
use super::encoding::{GraphEncoder, GraphEncoding};
use super::model::{Discriminator, GraphBatch, WeightsError, bce_with_logits, host_f32};
use crate::hashing::Fingerprint;
use crate::program::Program;
use crate::program::space::SearchSpace;
use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::activation::sigmoid;
use burn::tensor::{Device, Int, Tensor, TensorData};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::time::Instant;

/// Most pairs scored for one held-out accuracy figure.
const MAX_ACCURACY_PAIRS: usize = 4096;

/// Held-out accuracy measured before one retrain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccuracyPoint {
    /// Real evaluations the guide had seen when it was measured.
    pub evaluations: u64,
    /// Non-tied pairs scored.
    pub pairs: u64,
    /// Share of pairs whose order the discriminator predicted correctly.
    pub accuracy: f64,
}

/// The discriminator switching itself off or back on after a held-out accuracy measurement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GuideSwitch {
    /// Real evaluations the guide had seen when it switched.
    pub evaluations: u64,
    /// `true`: switched back on; `false`: switched off.
    pub on: bool,
    /// The held-out accuracy that caused the switch.
    pub accuracy: f64,
}

/// The guide's accounting, archived with the campaign and shown by `gevo inspect`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GuideStats {
    /// Real evaluations fed to the buffer.
    pub observed: u64,
    /// Proposals made with guidance (after the warm-up).
    pub guided_proposals: u64,
    /// Discriminator calls: `D(child, parent)` predictions.
    pub calls: u64,
    /// Children whose fitness was already known from the buffer (a functional-hash hit): a free
    /// label, no discriminator call.
    pub free_labels: u64,
    /// Children discarded without evaluation (rejected and not chosen when the cap ran out).
    pub rejected: u64,
    /// Proposals where every try scored below the threshold (the best-scored child was taken).
    pub cap_reached: u64,
    /// Accepted children that were then evaluated, with a parent fitness to compare with.
    pub accepted_evaluated: u64,
    /// Of those, children that beat their parent (acceptance precision =
    /// `accepted_better / accepted_evaluated`).
    pub accepted_better: u64,
    /// Retrains run.
    pub retrains: u64,
    /// Wall seconds spent retraining (accuracy measurement included).
    pub retrain_secs: f64,
    /// Wall seconds spent on inference (encoding and scoring children).
    pub inference_secs: f64,
    /// Held-out accuracy before each retrain, oldest first.
    pub accuracy: Vec<AccuracyPoint>,
}

impl GuideStats {
    /// Share of accepted, evaluated children that beat their parent.
    pub fn acceptance_precision(&self) -> Option<f64> {
        (self.accepted_evaluated > 0)
            .then(|| self.accepted_better as f64 / self.accepted_evaluated as f64)
    }

    /// Every switch off (a measurement below `min_accuracy`) and back on, oldest first. They
    /// follow from the accuracy history, so the archived state needs no field of its own.
    pub fn switches(&self, min_accuracy: f64) -> Vec<GuideSwitch> {
        let mut on = true;
        let mut out = vec![];
        for a in &self.accuracy {
            if (a.accuracy >= min_accuracy) != on {
                on = !on;
                out.push(GuideSwitch {
                    evaluations: a.evaluations,
                    on,
                    accuracy: a.accuracy,
                });
            }
        }
        out
    }

    /// Real evaluations fed to the guide while it was switched off (children proposed by
    /// plain mutation after the warm-up).
    pub fn evaluations_switched_off(&self, min_accuracy: f64) -> u64 {
        let mut off_since = None;
        let mut total = 0;
        for s in self.switches(min_accuracy) {
            match (s.on, off_since) {
                (false, _) => off_since = Some(s.evaluations),
                (true, Some(from)) => {
                    total += s.evaluations - from;
                    off_since = None;
                }
                (true, None) => {}
            }
        }
        total + off_since.map_or(0, |from| self.observed.saturating_sub(from))
    }

    /// Mean held-out accuracy over all measurements, weighted by pairs.
    pub fn mean_accuracy(&self) -> Option<f64> {
        let pairs: u64 = self.accuracy.iter().map(|a| a.pairs).sum();
        (pairs > 0).then(|| {
            self.accuracy
                .iter()
                .map(|a| a.accuracy * a.pairs as f64)
                .sum::<f64>()
                / pairs as f64
        })
    }
}

/// Everything needed to continue the guide exactly (archived in the `guide` tree).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GuideSnapshot {
    /// Network parameters ([`Discriminator::to_values`]).
    pub weights: Vec<Vec<f32>>,
    /// Buffer entries (programs are re-read from the archived records by id).
    pub buffer: Vec<StoredEntry>,
    /// The buffer's next arrival number.
    pub next_order: u64,
    /// Real evaluations since the last retrain.
    pub since_retrain: u64,
    /// Arrival number of the first program not yet trained on.
    pub holdout_from: u64,
    /// The guide's RNG (pair sampling).
    pub rng: ChaCha8Rng,
    /// Accounting.
    pub stats: GuideStats,
}

/// The online discriminator of one campaign.
pub struct OnlineDiscriminator {
    config: GuideConfig,
    encoder: GraphEncoder,
    plain: Device,
    train_device: Device,
    model: Discriminator,
    inference: Discriminator,
    buffer: ReplayBuffer,
    rng: ChaCha8Rng,
    since_retrain: u64,
    holdout_from: u64,
    /// Accounting.
    pub stats: GuideStats,
}

impl OnlineDiscriminator {
    /// A fresh guide for programs of `space`, seeded by `seed`, on burn's flex CPU backend.
    pub fn new(config: GuideConfig, space: &SearchSpace, seed: u64) -> Self {
        let encoder = GraphEncoder::new(space);
        let plain = Device::flex();
        let train_device = plain.clone().autodiff();
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x6775_6964_6500_0000);
        let model = Discriminator::new(
            encoder.feature_dim(),
            encoder.num_edge_types(),
            &config.network,
            &mut rng,
            &train_device,
        );
        OnlineDiscriminator {
            inference: model.valid(),
            buffer: ReplayBuffer::new(config.buffer_capacity),
            config,
            encoder,
            plain,
            train_device,
            model,
            rng,
            since_retrain: 0,
            holdout_from: 0,
            stats: GuideStats::default(),
        }
    }

    /// Settings.
    pub fn config(&self) -> &GuideConfig {
        &self.config
    }

    /// The replay buffer.
    pub fn buffer(&self) -> &ReplayBuffer {
        &self.buffer
    }

    /// The graph encoder.
    pub fn encoder(&self) -> &GraphEncoder {
        &self.encoder
    }

    /// Records one real evaluation of `program` (candidate `id`).
    pub fn observe(
        &mut self,
        fingerprint: Fingerprint,
        id: u64,
        program: &Program,
        fitness: Option<f64>,
    ) {
        let enc = &self.encoder;
        self.buffer
            .add(fingerprint, id, || enc.encode(program), fitness);
        self.stats.observed += 1;
        self.since_retrain += 1;
    }

    /// Whether guidance is on: the warm-up is over and the network has been trained.
    pub fn ready(&self) -> bool {
        self.stats.retrains > 0 && self.buffer.len() >= self.config.warmup
    }

    /// Whether the discriminator is switched on: its last held-out accuracy (if measured yet)
    /// reaches the floor `min_accuracy`. Guidance needs both this and [`Self::ready`].
    pub fn switched_on(&self) -> bool {
        self.stats
            .accuracy
            .last()
            .is_none_or(|a| a.accuracy >= self.config.min_accuracy)
    }

    /// Whether a retrain is due: past the warm-up, and `retrain_every` real evaluations since
    /// the last one (the first retrain happens as soon as the warm-up is over).
    pub fn retrain_due(&self) -> bool {
        self.buffer.len() >= self.config.warmup.max(2)
            && (self.stats.retrains == 0 || self.since_retrain >= self.config.retrain_every.max(1))
    }

    /// The fitness stored for a fingerprint: `Some(fitness)` when it was evaluated before.
    pub fn known_fitness(&self, fingerprint: &Fingerprint) -> Option<Option<f64>> {
        self.buffer.get(fingerprint).map(|e| e.fitness)
    }

    /// Embeds one program for scoring (`[1, H]`); counted as inference time.
    pub fn embed(&mut self, program: &Program) -> Tensor<2> {
        let start = Instant::now();
        let g = self.encoder.encode(program);
        let batch = GraphBatch::new(
            &[&g],
            self.encoder.feature_dim(),
            self.config.network.attention,
            &self.plain,
        );
        let z = self.inference.embed(&batch);
        self.stats.inference_secs += start.elapsed().as_secs_f64();
        z
    }

    /// `D(a, b)` for two embeddings from [`Self::embed`]; counted as one discriminator call.
    pub fn probability(&mut self, za: &Tensor<2>, zb: &Tensor<2>) -> f64 {
        let start = Instant::now();
        let p: f32 =
            sigmoid(self.inference.logits_of_embeddings(za.clone(), zb.clone())).into_scalar();
        self.stats.calls += 1;
        self.stats.inference_secs += start.elapsed().as_secs_f64();
        p as f64
    }

    /// `D(a, b)` for two programs (used by tests and benchmarks; the campaign embeds the parent
    /// once per proposal instead).
    pub fn score(&mut self, a: &Program, b: &Program) -> f64 {
        let za = self.embed(a);
        let zb = self.embed(b);
        self.probability(&za, &zb)
    }

    /// Accuracy of the current network's predicted order on the non-tied pairs of `graphs`
    /// (with fitness `ranks`): `Some((accuracy, pairs))`, or `None` when every pair is a tie.
    /// At most 4096 pairs are scored (evenly spread over all pairs).
    pub fn pair_accuracy(&self, graphs: &[&GraphEncoding], ranks: &[f64]) -> Option<(f64, u64)> {
        let n = graphs.len();
        let mut pairs = Vec::new();
        for i in 0..n {
            for j in i + 1..n {
                if let Some(y) = label(ranks[i], ranks[j], self.config.tie_tolerance) {
                    pairs.push((i as i64, j as i64, y));
                }
            }
        }
        if pairs.is_empty() {
            return None;
        }
        if pairs.len() > MAX_ACCURACY_PAIRS {
            let stride = pairs.len() as f64 / MAX_ACCURACY_PAIRS as f64;
            pairs = (0..MAX_ACCURACY_PAIRS)
                .map(|k| pairs[(k as f64 * stride) as usize])
                .collect();
        }
        let batch = GraphBatch::new(
            graphs,
            self.encoder.feature_dim(),
            self.config.network.attention,
            &self.plain,
        );
        let z = self.inference.embed(&batch);
        let p = pairs.len();
        let a = ints(pairs.iter().map(|x| x.0).collect(), &self.plain);
        let b = ints(pairs.iter().map(|x| x.1).collect(), &self.plain);
        let logits = host_f32(self.inference.pair_logits(z, a, b).into_data());
        let correct = pairs
            .iter()
            .zip(&logits)
            .filter(|((_, _, y), s)| (**s > 0.0) == (*y > 0.5))
            .count();
        Some((correct as f64 / p as f64, p as u64))
    }

    /// Retrains on the buffer (held-out accuracy first, after the first retrain); returns the
    /// mean training loss of the last step (`None` when every pair in the buffer is a tie).
    pub fn retrain(&mut self) -> Option<f64> {
        let start = Instant::now();
        if self.stats.retrains > 0 {
            let held: Vec<_> = self
                .buffer
                .entries()
                .iter()
                .filter(|e| e.order >= self.holdout_from)
                .collect();
            let graphs: Vec<&GraphEncoding> = held.iter().map(|e| &e.graph).collect();
            let ranks: Vec<f64> = held.iter().map(|e| e.rank()).collect();
            if let Some((accuracy, pairs)) = self.pair_accuracy(&graphs, &ranks) {
                self.stats.accuracy.push(AccuracyPoint {
                    evaluations: self.stats.observed,
                    pairs,
                    accuracy,
                });
            }
        }
        let mut optim = AdamConfig::new().init();
        let mut model = self.model.clone();
        let mut last = None;
        for _ in 0..self.config.train_steps {
            let Some((batch, a, b, y)) = self.sample_pairs() else {
                break;
            };
            let z = model.embed(&batch);
            let loss = bce_with_logits(model.pair_logits(z, a, b), y);
            last = Some(loss.clone().inner().into_scalar::<f32>() as f64);
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(self.config.learning_rate, model, grads);
        }
        self.model = model;
        self.inference = self.model.valid();
        self.holdout_from = self.buffer.next_order();
        self.since_retrain = 0;
        self.stats.retrains += 1;
        self.stats.retrain_secs += start.elapsed().as_secs_f64();
        last
    }

    /// A training minibatch: distinct graphs, pair indices (both orderings) and labels.
    #[allow(clippy::type_complexity)]
    fn sample_pairs(&mut self) -> Option<(GraphBatch, Tensor<1, Int>, Tensor<1, Int>, Tensor<1>)> {
        let entries = self.buffer.entries();
        let n = entries.len();
        if n < 2 {
            return None;
        }
        let want = self.config.pairs_per_step.max(1);
        let mut slot: HashMap<usize, i64> = HashMap::new();
        let mut graphs: Vec<&GraphEncoding> = Vec::new();
        let (mut a, mut b, mut y) = (vec![], vec![], vec![]);
        let mut tries = 0;
        while a.len() < 2 * want && tries < 20 * want {
            tries += 1;
            let i = self.rng.random_range(0..n);
            let j = self.rng.random_range(0..n);
            let Some(l) = label(
                entries[i].rank(),
                entries[j].rank(),
                self.config.tie_tolerance,
            ) else {
                continue;
            };
            let mut id = |k: usize| {
                *slot.entry(k).or_insert_with(|| {
                    graphs.push(&entries[k].graph);
                    graphs.len() as i64 - 1
                })
            };
            let (si, sj) = (id(i), id(j));
            a.extend([si, sj]);
            b.extend([sj, si]);
            y.extend([l, 1.0 - l]);
        }
        if a.is_empty() {
            return None;
        }
        let d = &self.train_device;
        let batch = GraphBatch::new(
            &graphs,
            self.encoder.feature_dim(),
            self.config.network.attention,
            d,
        );
        let p = y.len();
        Some((
            batch,
            ints(a, d),
            ints(b, d),
            Tensor::from_data(TensorData::new(y, [p]), d),
        ))
    }

    /// The state to archive.
    pub fn snapshot(&self) -> GuideSnapshot {
        GuideSnapshot {
            weights: self.model.to_values(),
            buffer: self.buffer.to_stored(),
            next_order: self.buffer.next_order(),
            since_retrain: self.since_retrain,
            holdout_from: self.holdout_from,
            rng: self.rng.clone(),
            stats: self.stats.clone(),
        }
    }

    /// Rebuilds a guide from a snapshot; `program_of` returns the archived program of a
    /// candidate id.
    ///
    /// # Errors
    /// [`WeightsError`] when the stored weights do not fit the network the settings describe.
    pub fn restore(
        config: GuideConfig,
        space: &SearchSpace,
        snapshot: GuideSnapshot,
        mut program_of: impl FnMut(u64) -> Option<Program>,
    ) -> Result<Self, WeightsError> {
        let mut g = OnlineDiscriminator::new(config, space, 0);
        g.model = Discriminator::from_values(
            g.encoder.feature_dim(),
            g.encoder.num_edge_types(),
            &g.config.network,
            snapshot.weights,
            &g.train_device,
        )?;
        g.inference = g.model.valid();
        let enc = g.encoder.clone();
        g.buffer = ReplayBuffer::from_stored(
            g.config.buffer_capacity,
            snapshot.buffer,
            snapshot.next_order,
            |id| program_of(id).map(|p| enc.encode(&p)),
        );
        g.since_retrain = snapshot.since_retrain;
        g.holdout_from = snapshot.holdout_from;
        g.rng = snapshot.rng;
        g.stats = snapshot.stats;
        Ok(g)
    }
}

fn ints(v: Vec<i64>, device: &Device) -> Tensor<1, Int> {
    let n = v.len();
    Tensor::from_data(TensorData::new(v, [n]), device)
}

/// Accuracy helper for callers holding programs: encodes them with `guide`'s encoder and
/// scores every non-tied pair (see [`OnlineDiscriminator::pair_accuracy`]).
pub fn program_pair_accuracy(
    guide: &OnlineDiscriminator,
    programs: &[(Program, f64)],
) -> Option<(f64, u64)> {
    let graphs: Vec<GraphEncoding> = programs
        .iter()
        .map(|(p, _)| guide.encoder().encode(p))
        .collect();
    let refs: Vec<&GraphEncoding> = graphs.iter().collect();
    let ranks: Vec<f64> = programs.iter().map(|(_, f)| rank(Some(*f))).collect();
    guide.pair_accuracy(&refs, &ranks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::program::generate::random_program;

    /// Synthetic task: fitness = number of live `mul` nodes, a known function of the graph.
    fn synthetic(n: usize, seed: u64) -> (SearchSpace, Vec<(Program, f64)>) {
        let space = crate::guide::encoding::tests::sr_space(&["x", "y"]);
        let mul = crate::program::OpId::by_name("mul").unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let progs = (0..n)
            .map(|_| {
                let p = random_program(&space, &mut rng).unwrap();
                let live = p.without_dead_nodes();
                let f = live.nodes.iter().filter(|n| n.op == mul).count() as f64;
                (p, f)
            })
            .collect();
        (space, progs)
    }

    fn guide_for(space: &SearchSpace) -> OnlineDiscriminator {
        let config = GuideConfig {
            kind: crate::guide::GuideKind::Discriminator,
            warmup: 16,
            train_steps: 150,
            ..Default::default()
        };
        OnlineDiscriminator::new(config, space, 7)
    }

    #[test]
    fn learns_a_known_function_of_the_graph() {
        let (space, progs) = synthetic(700, 1);
        let (train, test) = progs.split_at(500);
        let mut g = guide_for(&space);
        for (k, (p, f)) in train.iter().enumerate() {
            g.observe(Fingerprint(k as u128), k as u64, p, Some(*f));
        }
        assert!(g.retrain_due() && !g.ready());
        let before = program_pair_accuracy(&g, test).unwrap();
        g.retrain();
        assert!(g.ready());
        let (acc, pairs) = program_pair_accuracy(&g, test).unwrap();
        assert!(pairs >= 4000, "{pairs} non-tied held-out pairs");
        eprintln!(
            "held-out pair accuracy {acc:.3} on {pairs} pairs (untrained {:.3})",
            before.0
        );
        assert!(
            acc > 0.9,
            "held-out pair accuracy {acc:.3} (untrained {:.3})",
            before.0
        );
    }

    #[test]
    fn switches_off_below_the_accuracy_floor_and_back_on() {
        let (space, progs) = synthetic(40, 3);
        let mut g = guide_for(&space);
        for (k, (p, f)) in progs.iter().enumerate() {
            g.observe(Fingerprint(k as u128), k as u64, p, Some(*f));
        }
        g.retrain();
        assert!(g.ready() && g.switched_on(), "no measurement yet: on");
        let point = |evaluations, accuracy| AccuracyPoint {
            evaluations,
            pairs: 100,
            accuracy,
        };
        g.stats.accuracy.push(point(20, 0.55));
        assert!(!g.switched_on(), "0.55 is below the default floor 0.6");
        g.stats.accuracy.push(point(30, 0.58));
        assert!(!g.switched_on());
        g.stats.accuracy.push(point(36, 0.7));
        assert!(g.switched_on(), "recovered");
        g.stats.accuracy.push(point(38, 0.4));
        assert!(!g.switched_on());
        let s = g.stats.switches(g.config().min_accuracy);
        let events: Vec<(u64, bool)> = s.iter().map(|s| (s.evaluations, s.on)).collect();
        assert_eq!(events, vec![(20, false), (36, true), (38, false)]);
        // Off from 20 to 36, then from 38 to the 40 observed.
        assert_eq!(g.stats.evaluations_switched_off(0.6), 16 + 2);
        // A floor of 0 never switches off.
        assert!(g.stats.switches(0.0).is_empty());
    }

    #[test]
    fn schedule_accuracy_history_and_snapshot_round_trip() {
        let (space, progs) = synthetic(120, 2);
        let mut g = guide_for(&space);
        g.config.retrain_every = 40;
        g.config.train_steps = 5;
        let mut retrains = 0;
        for (k, (p, f)) in progs.iter().enumerate() {
            g.observe(Fingerprint(k as u128), k as u64, p, Some(*f));
            if g.retrain_due() {
                g.retrain();
                retrains += 1;
            }
        }
        // Warm-up 16, then every 40: at 16, 56, 96.
        assert_eq!(retrains, 3);
        assert_eq!(g.stats.retrains, 3);
        assert_eq!(
            g.stats.accuracy.len(),
            2,
            "measured before the 2nd and 3rd retrain"
        );
        assert!(
            g.stats
                .accuracy
                .iter()
                .all(|a| a.pairs > 0 && (0.0..=1.0).contains(&a.accuracy))
        );
        let snap = g.snapshot();
        let bytes = postcard::to_allocvec(&snap).unwrap();
        let back: GuideSnapshot = postcard::from_bytes(&bytes).unwrap();
        let mut h = OnlineDiscriminator::restore(g.config.clone(), &space, back, |id| {
            Some(progs[id as usize].0.clone())
        })
        .unwrap();
        assert_eq!(h.stats, g.stats);
        assert_eq!(h.buffer().to_stored(), g.buffer().to_stored());
        let (a, b) = (&progs[0].0, &progs[1].0);
        assert_eq!(h.score(a, b), g.score(a, b));
        // Both continue identically.
        h.retrain();
        g.retrain();
        assert_eq!(h.score(a, b), g.score(a, b));
    }
}
