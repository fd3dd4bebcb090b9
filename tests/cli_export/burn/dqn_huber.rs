// Exported by gevo (burn) from program file search_spaces/rl_loss/seeds/dqn_huber.json.

use burn::tensor::{Int, Tensor};

/// A DQN-style loss discovered by gevo, for burn.
///
/// Source: program file search_spaces/rl_loss/seeds/dqn_huber.json.
///
/// Args (a minibatch of B transitions, A actions):
///     q_values: float [B, A]. Q_theta(s_t, .): the online network on the observations (gradients flow through it).
///     actions: int [B]. a_t: the actions taken, integers in 0..A.
///     rewards: float [B]. r_t: the rewards.
///     discounts: float [B]. gamma * (1 - terminated): 0 where the episode terminated at s_{t+1}.
///     next_q_values: float [B, A]. Q_theta'(s_{t+1}, .): the target network on the next observations (no gradient).
/// Returns:
///     float [B]: the loss of each transition; the trainer minimises its batch mean.
///
/// Semantics, exactly as gevo evaluates them:
///     max/min of two values ignore a NaN operand (fmax/fmin)
pub fn dqn_huber_loss(q_values: Tensor<2>, actions: Tensor<1, Int>, rewards: Tensor<1>, discounts: Tensor<1>, next_q_values: Tensor<2>) -> Tensor<1> {
    let q_taken = q_values.gather(1, actions.unsqueeze_dim::<2>(1)).squeeze_dim::<1>(1);
    let max_next_q = next_q_values.max_dim(1).squeeze_dim::<1>(1);
    let discounted = discounts * max_next_q;
    let td_target = rewards + discounted;
    let td_error = q_taken - td_target;
    let abs_td_error = td_error.abs();
    let minimum = abs_td_error.clone().clamp_max(1.0);
    let minimum_sq = minimum.clone().square();
    let product = minimum_sq.mul_scalar(0.5);
    let difference = abs_td_error - minimum;
    product + difference
}
