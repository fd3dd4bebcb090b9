#!/usr/bin/env python3
"""PyTorch reference DQN with the same settings as gevo's DQN inner loop (src/domains/rl_loss/dqn).

Measures environment steps per second (each followed by one gradient step) on CPU, single
thread, for the gevo default network (64-64) and the paper network (256-256), on gymnasium's
CartPole-v1 capped at 200 steps per episode. Optionally (--solve) trains the default preset to
completion and prints the mean return of the last 50 episodes.

Settings mirror DqnConfig::fast() / DqnConfig::paper(): MLP ReLU, Adam (eps 1e-8),
uniform replay, ε linear 1.0 → 0.05, hard target copy, loss ½(Q − Y)² averaged over the batch,
discount γ·(1 − terminated) (truncation is not terminal).

    python benches/reference/torch_dqn.py            # speed, both networks (see BENCHMARKS.md)
    python benches/reference/torch_dqn.py --solve    # learning check
"""

import argparse
import random
import time

import gymnasium as gym
import numpy as np
import torch
import torch.nn as nn

PRESETS = {
    # name: (hidden, lr, batch, target_period, min_replay, eps_decay_steps)
    "default": ([64, 64], 1e-3, 64, 100, 500, 2000),
    "paper": ([256, 256], 1e-4, 32, 100, 1000, 1000),
}


def mlp(obs_dim, hidden, num_actions):
    layers, d = [], obs_dim
    for h in hidden:
        layers += [nn.Linear(d, h), nn.ReLU()]
        d = h
    layers.append(nn.Linear(d, num_actions))
    return nn.Sequential(*layers)


class Replay:
    def __init__(self, obs_dim, capacity):
        self.obs = np.zeros((capacity, obs_dim), np.float32)
        self.next_obs = np.zeros((capacity, obs_dim), np.float32)
        self.action = np.zeros(capacity, np.int64)
        self.reward = np.zeros(capacity, np.float32)
        self.not_terminal = np.zeros(capacity, np.float32)
        self.capacity, self.n, self.i = capacity, 0, 0

    def push(self, o, a, r, term, o2):
        i = self.i
        self.obs[i], self.action[i], self.reward[i] = o, a, r
        self.not_terminal[i], self.next_obs[i] = 0.0 if term else 1.0, o2
        self.i = (i + 1) % self.capacity
        self.n = min(self.n + 1, self.capacity)

    def sample(self, rng, b, gamma):
        idx = rng.integers(0, self.n, b)
        return (
            torch.from_numpy(self.obs[idx]),
            torch.from_numpy(self.action[idx]),
            torch.from_numpy(self.reward[idx]),
            torch.from_numpy(gamma * self.not_terminal[idx]),
            torch.from_numpy(self.next_obs[idx]),
        )


def run(preset, max_env_steps, episodes, seed, min_replay=None, max_episode_steps=200):
    hidden, lr, batch, period, min_rep, decay = PRESETS[preset]
    if min_replay is not None:
        min_rep = min_replay
    gamma, eps_start, eps_end = 0.99, 1.0, 0.05
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    random.seed(seed)
    env = gym.make("CartPole-v1", max_episode_steps=max_episode_steps)
    obs_dim, n_act = env.observation_space.shape[0], env.action_space.n
    online = mlp(obs_dim, hidden, n_act)
    target = mlp(obs_dim, hidden, n_act)
    target.load_state_dict(online.state_dict())
    opt = torch.optim.Adam(online.parameters(), lr=lr, eps=1e-8)
    replay = Replay(obs_dim, 100_000)
    returns, steps, grad_steps = [], 0, 0
    t0 = time.perf_counter()
    ep = 0
    while ep < episodes and steps < max_env_steps:
        obs, _ = env.reset(seed=seed + ep)
        ep_ret, done = 0.0, False
        while not done:
            eps = eps_end if steps >= decay else eps_start + (eps_end - eps_start) * steps / decay
            if rng.random() < eps:
                a = int(rng.integers(n_act))
            else:
                with torch.no_grad():
                    a = int(online(torch.as_tensor(obs, dtype=torch.float32)[None]).argmax(1)[0])
            obs2, r, term, trunc, _ = env.step(a)
            steps += 1
            ep_ret += r
            replay.push(obs, a, r, term, obs2)
            if replay.n >= min_rep:
                s, act, rew, disc, s2 = replay.sample(rng, batch, gamma)
                q = online(s).gather(1, act[:, None]).squeeze(1)
                with torch.no_grad():
                    y = rew + disc * target(s2).max(1).values
                loss = (0.5 * (q - y) ** 2).mean()
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                grad_steps += 1
                if grad_steps % period == 0:
                    target.load_state_dict(online.state_dict())
            obs = obs2
            done = term or trunc
            if steps >= max_env_steps:
                break
        if done:
            returns.append(ep_ret)
            ep += 1
    return returns, steps, grad_steps, time.perf_counter() - t0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=5000)
    p.add_argument("--solve", action="store_true")
    p.add_argument("--seeds", type=int, default=5)
    args = p.parse_args()
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}")
    if args.solve:
        for seed in range(args.seeds):
            rets, steps, g, wall = run("default", 100_000, 250, seed)
            print(f"seed {seed}: last-50 mean {np.mean(rets[-50:]):.1f}, "
                  f"{steps} env steps, {wall:.1f} s")
        return
    for preset in ["default", "paper"]:
        hidden, _, batch, *_ = PRESETS[preset]
        # min_replay = batch: nearly every env step carries one gradient step.
        run(preset, 500, 10**9, 0, min_replay=batch)  # warm-up
        _, steps, g, wall = run(preset, args.steps, 10**9, 0, min_replay=batch)
        print(f"{preset} ({'-'.join(map(str, hidden))}, batch {batch}): "
              f"{steps / wall:.0f} env steps/s ({g} grad steps in {wall:.2f} s)")


if __name__ == "__main__":
    main()
