// Exported by gevo (burn) from program file search_spaces/rl_loss/seeds/double_dqn.json.

use burn::tensor::{Int, Tensor};

/// A DQN-style loss discovered by gevo, for burn.
///
/// Source: program file search_spaces/rl_loss/seeds/double_dqn.json.
///
/// Args (a minibatch of B transitions, A actions):
///     q_values: float [B, A]. Q_theta(s_t, .): the online network on the observations (gradients flow through it).
///     actions: int [B]. a_t: the actions taken, integers in 0..A.
///     rewards: float [B]. r_t: the rewards.
///     discounts: float [B]. gamma * (1 - terminated): 0 where the episode terminated at s_{t+1}.
///     next_q_values: float [B, A]. Q_theta'(s_{t+1}, .): the target network on the next observations (no gradient).
///     next_q_values_online: float [B, A]. Q_theta(s_{t+1}, .): the online network on the next observations (gevo differentiates through it).
/// Returns:
///     float [B]: the loss of each transition; the trainer minimises its batch mean.
///
/// Semantics, exactly as gevo evaluates them:
///     argmax takes the first maximal action
pub fn double_dqn_loss(q_values: Tensor<2>, actions: Tensor<1, Int>, rewards: Tensor<1>, discounts: Tensor<1>, next_q_values: Tensor<2>, next_q_values_online: Tensor<2>) -> Tensor<1> {
    let q_taken = q_values.gather(1, actions.unsqueeze_dim::<2>(1)).squeeze_dim::<1>(1);
    let greedy_next_q_online = next_q_values_online.argmax(1).squeeze_dim::<1>(1);
    let selected_next_q = next_q_values.gather(1, greedy_next_q_online.unsqueeze_dim::<2>(1)).squeeze_dim::<1>(1);
    let discounted = discounts * selected_next_q;
    let td_target = rewards + discounted;
    (q_taken - td_target).square().mul_scalar(0.5)
}
