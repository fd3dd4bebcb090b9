// Exported by gevo (burn) from program file search_spaces/rl_loss/seeds/td_undiscounted.json.

use burn::tensor::{Int, Tensor};

/// A DQN-style loss discovered by gevo, for burn.
///
/// Source: program file search_spaces/rl_loss/seeds/td_undiscounted.json.
/// Program: l2_distance(select_list(qvalue_list(q_param, s_tm1), action), (reward + max_list(qvalue_list(q_targ_param, s_t))))
///
/// Args (a minibatch of B transitions, A actions):
///     q_values: float [B, A]. Q_theta(s_t, .): the online network on the observations (gradients flow through it).
///     actions: int [B]. a_t: the actions taken, integers in 0..A.
///     rewards: float [B]. r_t: the rewards.
///     discounts: float [B]. gamma * (1 - terminated): 0 where the episode terminated at s_{t+1}. Unused by this program.
///     next_q_values: float [B, A]. Q_theta'(s_{t+1}, .): the target network on the next observations (no gradient).
/// Returns:
///     float [B]: the loss of each transition; the trainer minimises its batch mean.
#[allow(unused_variables)]
pub fn td_undiscounted_loss(q_values: Tensor<2>, actions: Tensor<1, Int>, rewards: Tensor<1>, discounts: Tensor<1>, next_q_values: Tensor<2>) -> Tensor<1> {
    let q_taken = q_values.gather(1, actions.unsqueeze_dim::<2>(1)).squeeze_dim::<1>(1);
    let max_next_q = next_q_values.max_dim(1).squeeze_dim::<1>(1);
    let total = rewards + max_next_q;
    (q_taken - total).square().mul_scalar(0.5)
}
