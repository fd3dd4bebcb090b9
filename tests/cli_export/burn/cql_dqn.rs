// Exported by gevo (burn) from program file search_spaces/rl_loss/seeds/cql_dqn.json.

use burn::tensor::{Int, Tensor};

/// log(sum(exp(x))) of each row, shifted by the row maximum for stability.
fn logsumexp_rows(x: Tensor<2>) -> Tensor<1> {
    let top = x.clone().max_dim(1);
    ((x - top.clone()).exp().sum_dim(1).log() + top).squeeze_dim::<1>(1)
}

/// A DQN-style loss discovered by gevo, for burn.
///
/// Source: program file search_spaces/rl_loss/seeds/cql_dqn.json.
///
/// Args (a minibatch of B transitions, A actions):
///     q_values: float [B, A]. Q_theta(s_t, .): the online network on the observations (gradients flow through it).
///     actions: int [B]. a_t: the actions taken, integers in 0..A.
///     rewards: float [B]. r_t: the rewards.
///     discounts: float [B]. gamma * (1 - terminated): 0 where the episode terminated at s_{t+1}.
///     next_q_values: float [B, A]. Q_theta'(s_{t+1}, .): the target network on the next observations (no gradient).
/// Returns:
///     float [B]: the loss of each transition; the trainer minimises its batch mean.
pub fn cql_dqn_loss(q_values: Tensor<2>, actions: Tensor<1, Int>, rewards: Tensor<1>, discounts: Tensor<1>, next_q_values: Tensor<2>) -> Tensor<1> {
    let q_taken = q_values.clone().gather(1, actions.unsqueeze_dim::<2>(1)).squeeze_dim::<1>(1);
    let max_next_q = next_q_values.max_dim(1).squeeze_dim::<1>(1);
    let discounted = discounts * max_next_q;
    let td_target = rewards + discounted;
    let half_sq_dist = (q_taken.clone() - td_target).square().mul_scalar(0.5);
    let logsumexp_q = logsumexp_rows(q_values);
    let difference = logsumexp_q - q_taken;
    let tenth = difference.mul_scalar(0.1);
    half_sq_dist + tenth
}
