// Exported by gevo (burn) from program file search_spaces/rl_loss/seeds/dqn_clipped.json.

use burn::tensor::{Int, Tensor};

/// A DQN-style loss discovered by gevo, for burn.
///
/// Source: program file search_spaces/rl_loss/seeds/dqn_clipped.json.
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
pub fn dqn_clipped_loss(q_values: Tensor<2>, actions: Tensor<1, Int>, rewards: Tensor<1>, discounts: Tensor<1>, next_q_values: Tensor<2>) -> Tensor<1> {
    let q_taken = q_values.gather(1, actions.unsqueeze_dim::<2>(1)).squeeze_dim::<1>(1);
    let max_next_q = next_q_values.max_dim(1).squeeze_dim::<1>(1);
    let discounted = discounts.clone() * max_next_q.clone();
    let td_target = rewards + discounted;
    let td_error = q_taken.clone() - td_target.clone();
    let td_error_sq = td_error.clone().square();
    let total = td_error_sq + td_target;
    let maximum = q_taken.max_pair(total);
    let max_next_q_sq = max_next_q.square();
    let discounted_2 = discounts * max_next_q_sq;
    let maximum_2 = td_error.max_pair(discounted_2);
    maximum + maximum_2
}
