//! MiniGrid's world: object/colour/state codes, world objects, the grid, the agent dynamics
//! shared by every MiniGrid environment, the fully observable encoding and the flat state.
//!
//! Port of `minigrid/core/constants.py`, `core/world_object.py`, `core/grid.py`,
//! `minigrid_env.py` (`MiniGridEnv.step`, `place_obj`, `_reward`) and `wrappers.py`
//! (`FullyObsWrapper`) of the `minigrid` package (Chevalier-Boisvert et al., "Minigrid &
//! Miniworld: Modular & Customizable Reinforcement Learning Environments for Goal-Oriented
//! Tasks", NeurIPS 2023 Datasets & Benchmarks), version 3.2.0.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Object type codes (`OBJECT_TO_IDX`), the first channel of an encoded cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ObjectType {
    /// `unseen` (0): not visible (never produced by the fully observable encoding).
    Unseen = 0,
    /// `empty` (1): an empty cell.
    Empty = 1,
    /// `wall` (2).
    Wall = 2,
    /// `floor` (3): a coloured tile the agent can walk over.
    Floor = 3,
    /// `door` (4): open, closed or locked (third channel: [`DoorState`]).
    Door = 4,
    /// `key` (5): opens the locked door of its colour.
    Key = 5,
    /// `ball` (6): the moving obstacles of Dynamic-Obstacles.
    Ball = 6,
    /// `box` (7).
    Box = 7,
    /// `goal` (8): reaching it ends the episode with a positive reward.
    Goal = 8,
    /// `lava` (9): stepping on it ends the episode with reward 0.
    Lava = 9,
    /// `agent` (10): only in observations, at the agent's cell.
    Agent = 10,
}

impl ObjectType {
    /// Every type, indexed by its code.
    pub const ALL: [Self; 11] = {
        use ObjectType::*;
        [
            Unseen, Empty, Wall, Floor, Door, Key, Ball, Box, Goal, Lava, Agent,
        ]
    };

    /// The type with code `code`, if any.
    pub fn from_code(code: u8) -> Option<Self> {
        Self::ALL.get(usize::from(code)).copied()
    }
}

/// Colour codes (`COLOR_TO_IDX`), the second channel of an encoded cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Color {
    /// `red` (0): lava and the agent.
    Red = 0,
    /// `green` (1): the goal.
    Green = 1,
    /// `blue` (2): balls (obstacles), keys and floors by default.
    Blue = 2,
    /// `purple` (3).
    Purple = 3,
    /// `yellow` (4): DoorKey's door and key.
    Yellow = 4,
    /// `grey` (5): walls.
    Grey = 5,
}

impl Color {
    /// Every colour, indexed by its code.
    pub const ALL: [Self; 6] = {
        use Color::*;
        [Red, Green, Blue, Purple, Yellow, Grey]
    };

    /// The colour with code `code`, if any.
    pub fn from_code(code: u8) -> Option<Self> {
        Self::ALL.get(usize::from(code)).copied()
    }
}

/// Door state codes (`STATE_TO_IDX`), the third channel of an encoded door (0 for every other
/// object; the agent's cell carries its direction there instead).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum DoorState {
    /// `open` (0): the agent can walk through.
    Open = 0,
    /// `closed` (1): `toggle` opens it.
    Closed = 1,
    /// `locked` (2): `toggle` while carrying the key of the door's colour opens it.
    Locked = 2,
}

/// The seven MiniGrid actions (`minigrid.core.actions.Actions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Action {
    /// 0: turn left (counter-clockwise).
    Left = 0,
    /// 1: turn right (clockwise).
    Right = 1,
    /// 2: move one cell forward if the cell in front is empty or can be overlapped.
    Forward = 2,
    /// 3: pick up the object in front (key, ball, box) if the agent carries nothing.
    Pickup = 3,
    /// 4: drop the carried object onto the cell in front if it is empty.
    Drop = 4,
    /// 5: toggle the object in front (open/close/unlock a door, open a box).
    Toggle = 5,
    /// 6: `done`, a no-op in these environments.
    Done = 6,
}

impl Action {
    /// Every action, indexed by its number.
    pub const ALL: [Self; 7] = {
        use Action::*;
        [Left, Right, Forward, Pickup, Drop, Toggle, Done]
    };

    /// The action with index `index` (`0..7`), if any.
    pub fn from_index(index: usize) -> Option<Self> {
        Self::ALL.get(index).copied()
    }
}

/// Unit vectors of the four agent directions (`DIR_TO_VEC`): 0 = right (+x), 1 = down (+y),
/// 2 = left (−x), 3 = up (−y).
pub const DIR_TO_VEC: [(i64, i64); 4] = [(1, 0), (0, 1), (-1, 0), (0, -1)];

/// A world object (`WorldObj` subclasses `Wall`, `Floor`, `Door`, `Key`, `Ball`, `Box`,
/// `Goal`, `Lava`), identified by its code triple. A `Box` never has contents here (contents
/// are not part of MiniGrid's encoding and none of the ported environments creates boxes), so
/// toggling one empties its cell like MiniGrid's `Box(contains=None)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WorldObj {
    /// Object type (never `Unseen`, `Empty` or `Agent`).
    pub kind: ObjectType,
    /// Colour.
    pub color: Color,
    /// Door state; `Open` (encoded 0) for every non-door object.
    pub door: DoorState,
}

impl WorldObj {
    fn new(kind: ObjectType, color: Color) -> Self {
        Self {
            kind,
            color,
            door: DoorState::Open,
        }
    }
    /// `Wall()` (grey).
    pub fn wall() -> Self {
        Self::new(ObjectType::Wall, Color::Grey)
    }
    /// `Goal()` (green).
    pub fn goal() -> Self {
        Self::new(ObjectType::Goal, Color::Green)
    }
    /// `Lava()` (red).
    pub fn lava() -> Self {
        Self::new(ObjectType::Lava, Color::Red)
    }
    /// `Ball(color)`.
    pub fn ball(color: Color) -> Self {
        Self::new(ObjectType::Ball, color)
    }
    /// `Key(color)`.
    pub fn key(color: Color) -> Self {
        Self::new(ObjectType::Key, color)
    }
    /// `Door(color, is_open, is_locked)` in state `state`.
    pub fn door(color: Color, state: DoorState) -> Self {
        Self {
            kind: ObjectType::Door,
            color,
            door: state,
        }
    }

    /// `can_overlap()`: goal, floor, lava and open doors.
    pub fn can_overlap(&self) -> bool {
        match self.kind {
            ObjectType::Goal | ObjectType::Floor | ObjectType::Lava => true,
            ObjectType::Door => self.door == DoorState::Open,
            _ => false,
        }
    }

    /// `can_pickup()`: keys, balls and boxes.
    pub fn can_pickup(&self) -> bool {
        matches!(
            self.kind,
            ObjectType::Key | ObjectType::Ball | ObjectType::Box
        )
    }

    /// `encode()`: (object index, colour index, state).
    pub fn encode(&self) -> [u8; 3] {
        [self.kind as u8, self.color as u8, self.door as u8]
    }

    /// Inverse of [`encode`](Self::encode) for a grid cell: `Ok(None)` for the empty-cell code
    /// `(1, 0, 0)`, `Ok(Some(obj))` for an object code, `Err` for anything else (unseen or
    /// agent codes, unknown indices, a non-zero state on a non-door, an empty code with a
    /// non-zero colour/state) — strict, so that decoding then encoding is the identity.
    pub fn decode(code: [u8; 3]) -> Result<Option<Self>, String> {
        let bad = || format!("invalid cell code {code:?}");
        let kind = ObjectType::from_code(code[0]).ok_or_else(bad)?;
        let color = Color::from_code(code[1]).ok_or_else(bad)?;
        match kind {
            ObjectType::Empty if code[1] == 0 && code[2] == 0 => Ok(None),
            ObjectType::Empty | ObjectType::Unseen | ObjectType::Agent => Err(bad()),
            ObjectType::Door => {
                let state = match code[2] {
                    0 => DoorState::Open,
                    1 => DoorState::Closed,
                    2 => DoorState::Locked,
                    _ => return Err(bad()),
                };
                Ok(Some(Self::door(color, state)))
            }
            _ if code[2] == 0 => Ok(Some(Self::new(kind, color))),
            _ => Err(bad()),
        }
    }
}

/// Encoding of an empty cell: `(OBJECT_TO_IDX["empty"], 0, 0)`.
pub const EMPTY_CODE: [u8; 3] = [ObjectType::Empty as u8, 0, 0];

/// A `width × height` grid of optional objects (`minigrid.core.grid.Grid`), stored row-major
/// (`cells[y * width + x]`) like MiniGrid's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grid {
    width: usize,
    height: usize,
    cells: Vec<Option<WorldObj>>,
}

impl Grid {
    /// An empty grid.
    pub fn new(width: usize, height: usize) -> Self {
        assert!(width >= 3 && height >= 3, "MiniGrid grids are at least 3x3");
        Self {
            width,
            height,
            cells: vec![None; width * height],
        }
    }
    /// Number of columns (x range).
    pub fn width(&self) -> usize {
        self.width
    }
    /// Number of rows (y range).
    pub fn height(&self) -> usize {
        self.height
    }
    /// The object at column `x`, row `y` (panics when out of the grid, like MiniGrid's asserts).
    pub fn get(&self, x: usize, y: usize) -> Option<WorldObj> {
        assert!(x < self.width && y < self.height, "({x}, {y}) outside grid");
        self.cells[y * self.width + x]
    }
    /// Put `v` at column `x`, row `y`.
    pub fn set(&mut self, x: usize, y: usize, v: Option<WorldObj>) {
        assert!(x < self.width && y < self.height, "({x}, {y}) outside grid");
        self.cells[y * self.width + x] = v;
    }
    /// `horz_wall(x, y, length, obj_type)`: `length` copies of `obj` from `(x, y)` rightwards.
    pub fn horz_wall(&mut self, x: usize, y: usize, length: usize, obj: WorldObj) {
        for i in 0..length {
            self.set(x + i, y, Some(obj));
        }
    }
    /// `vert_wall(x, y, length, obj_type)`: `length` copies of `obj` from `(x, y)` downwards.
    pub fn vert_wall(&mut self, x: usize, y: usize, length: usize, obj: WorldObj) {
        for j in 0..length {
            self.set(x, y + j, Some(obj));
        }
    }
    /// `wall_rect(x, y, w, h)`: the outline of a rectangle in walls.
    pub fn wall_rect(&mut self, x: usize, y: usize, w: usize, h: usize) {
        self.horz_wall(x, y, w, WorldObj::wall());
        self.horz_wall(x, y + h - 1, w, WorldObj::wall());
        self.vert_wall(x, y, h, WorldObj::wall());
        self.vert_wall(x + w - 1, y, h, WorldObj::wall());
    }
    /// How every ported `_gen_grid` starts: `Grid(width, height)`, `wall_rect(0, 0, width,
    /// height)` and a goal at `(width - 2, height - 2)`, the bottom-right interior corner.
    pub fn walled_room_with_goal(width: usize, height: usize) -> Self {
        let mut grid = Self::new(width, height);
        grid.wall_rect(0, 0, width, height);
        grid.set(width - 2, height - 2, Some(WorldObj::goal()));
        grid
    }
    /// `encode()` (no visibility mask): `width * height * 3` codes in numpy C order of the
    /// `(width, height, 3)` array, i.e. index `(x * height + y) * 3 + channel`.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.width * self.height * 3);
        for x in 0..self.width {
            for y in 0..self.height {
                out.extend_from_slice(&self.get(x, y).map_or(EMPTY_CODE, |o| o.encode()));
            }
        }
        out
    }
}

/// Number of leading scalars of the flat state before the grid codes: agent x, agent y,
/// agent direction, step count, carried object index, carried colour index.
pub const STATE_HEADER: usize = 6;

/// The state of a MiniGrid episode and `MiniGridEnv.step`'s dynamics: grid, agent position and
/// direction, carried object, step count and time limit (`max_steps`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GridWorld {
    /// The grid (without the agent, which is not a grid object in MiniGrid).
    pub grid: Grid,
    /// Agent column and row.
    pub agent_pos: (usize, usize),
    /// Agent direction, `0..4` (see [`DIR_TO_VEC`]).
    pub agent_dir: usize,
    /// The carried object, if any.
    pub carrying: Option<WorldObj>,
    /// Steps taken in this episode (`step_count`).
    pub step_count: usize,
    /// MiniGrid's time limit: `step` reports truncation once `step_count >= max_steps`.
    pub max_steps: usize,
}

impl GridWorld {
    /// A world with grid `grid`, the agent at `agent_pos` facing `agent_dir`, nothing carried,
    /// step count 0.
    pub fn new(grid: Grid, agent_pos: (usize, usize), agent_dir: usize, max_steps: usize) -> Self {
        Self {
            grid,
            agent_pos,
            agent_dir,
            carrying: None,
            step_count: 0,
            max_steps,
        }
    }

    /// `front_pos`: the cell in front of the agent. The agent is always strictly inside the
    /// outer wall, so this is inside the grid.
    pub fn front_pos(&self) -> (usize, usize) {
        let (dx, dy) = DIR_TO_VEC[self.agent_dir];
        (
            (self.agent_pos.0 as i64 + dx) as usize,
            (self.agent_pos.1 as i64 + dy) as usize,
        )
    }

    /// The object in front of the agent.
    pub fn front_cell(&self) -> Option<WorldObj> {
        let (x, y) = self.front_pos();
        self.grid.get(x, y)
    }

    /// `_reward()`: `1 - 0.9 * (step_count / max_steps)` (same f64 operations as Python).
    pub fn success_reward(&self) -> f64 {
        1.0 - 0.9 * (self.step_count as f64 / self.max_steps as f64)
    }

    /// `MiniGridEnv.step(action)`: returns `(reward, terminated, truncated)`.
    pub fn step(&mut self, action: Action) -> (f64, bool, bool) {
        self.step_count += 1;
        let mut reward = 0.0;
        let mut terminated = false;
        let fwd_pos = self.front_pos();
        let fwd_cell = self.grid.get(fwd_pos.0, fwd_pos.1);
        match action {
            Action::Left => self.agent_dir = (self.agent_dir + 3) % 4,
            Action::Right => self.agent_dir = (self.agent_dir + 1) % 4,
            Action::Forward => {
                if fwd_cell.is_none_or(|c| c.can_overlap()) {
                    self.agent_pos = fwd_pos;
                }
                match fwd_cell.map(|c| c.kind) {
                    Some(ObjectType::Goal) => {
                        terminated = true;
                        reward = self.success_reward();
                    }
                    Some(ObjectType::Lava) => terminated = true,
                    _ => {}
                }
            }
            Action::Pickup => {
                if let Some(c) = fwd_cell
                    && c.can_pickup()
                    && self.carrying.is_none()
                {
                    self.carrying = Some(c);
                    self.grid.set(fwd_pos.0, fwd_pos.1, None);
                }
            }
            Action::Drop => {
                if fwd_cell.is_none()
                    && let Some(c) = self.carrying.take()
                {
                    self.grid.set(fwd_pos.0, fwd_pos.1, Some(c));
                }
            }
            Action::Toggle => {
                if let Some(c) = fwd_cell {
                    self.toggle(c, fwd_pos);
                }
            }
            Action::Done => {}
        }
        let truncated = self.step_count >= self.max_steps;
        (reward, terminated, truncated)
    }

    /// `WorldObj.toggle(env, pos)` for the object `obj` at `pos`.
    fn toggle(&mut self, obj: WorldObj, pos: (usize, usize)) {
        match obj.kind {
            ObjectType::Door => {
                let state = match obj.door {
                    DoorState::Locked => {
                        let has_key = self
                            .carrying
                            .is_some_and(|k| k.kind == ObjectType::Key && k.color == obj.color);
                        if !has_key {
                            return;
                        }
                        DoorState::Open
                    }
                    DoorState::Open => DoorState::Closed,
                    DoorState::Closed => DoorState::Open,
                };
                self.grid
                    .set(pos.0, pos.1, Some(WorldObj::door(obj.color, state)));
            }
            // A box is replaced by its contents (always none here).
            ObjectType::Box => self.grid.set(pos.0, pos.1, None),
            _ => {}
        }
    }

    /// `place_obj(obj, top, size, max_tries)`'s position search: draw positions uniformly in
    /// `[top.0, min(top.0 + size.0, width)) × [top.1, min(top.1 + size.1, height))` (x first,
    /// as `np_random.integers` calls in MiniGrid) until one is empty and not the agent's
    /// cell. `max_tries = None` is MiniGrid's `math.inf`; with `Some(n)` the search fails
    /// (`None`, MiniGrid raises) after `n + 1` rejected draws, as MiniGrid's
    /// `num_tries > max_tries` check does. The caller puts the object there.
    pub fn find_empty_pos(
        &self,
        rng: &mut ChaCha8Rng,
        top: (usize, usize),
        size: (usize, usize),
        max_tries: Option<usize>,
    ) -> Option<(usize, usize)> {
        match max_tries {
            Some(m) => (0..=m).find_map(|_| self.draw_empty_pos(rng, top, size)),
            None => Some(self.empty_pos(rng, top, size)),
        }
    }

    /// [`find_empty_pos`](Self::find_empty_pos) with `max_tries = math.inf`.
    ///
    /// # Panics
    /// Never returns if the rectangle has no such cell (as MiniGrid, which loops forever).
    pub fn empty_pos(
        &self,
        rng: &mut ChaCha8Rng,
        top: (usize, usize),
        size: (usize, usize),
    ) -> (usize, usize) {
        loop {
            if let Some(pos) = self.draw_empty_pos(rng, top, size) {
                return pos;
            }
        }
    }

    /// One draw of the position search: the drawn cell when it is empty and not the agent's.
    fn draw_empty_pos(
        &self,
        rng: &mut ChaCha8Rng,
        top: (usize, usize),
        size: (usize, usize),
    ) -> Option<(usize, usize)> {
        let xr = top.0..(top.0 + size.0).min(self.grid.width);
        let yr = top.1..(top.1 + size.1).min(self.grid.height);
        let pos = (rng.random_range(xr), rng.random_range(yr));
        (self.grid.get(pos.0, pos.1).is_none() && pos != self.agent_pos).then_some(pos)
    }

    /// `place_obj(obj, top, size)` with `max_tries = math.inf`: put `obj` on a uniformly drawn
    /// empty, non-agent cell of the rectangle (drawn by [`find_empty_pos`](Self::find_empty_pos))
    /// and return that cell.
    ///
    /// # Panics
    /// Never returns if the rectangle has no such cell (as MiniGrid, which loops forever).
    pub fn place_obj(
        &mut self,
        rng: &mut ChaCha8Rng,
        obj: WorldObj,
        top: (usize, usize),
        size: (usize, usize),
    ) -> (usize, usize) {
        let pos = self.empty_pos(rng, top, size);
        self.grid.set(pos.0, pos.1, Some(obj));
        pos
    }

    /// The fully observable observation of `FullyObsWrapper`: [`Grid::encode`] with the
    /// agent's cell overwritten by `(10 = agent, 0 = red, agent_dir)`, as `f64` codes (raw,
    /// not normalised). Length `width * height * 3`, index `(x * height + y) * 3 + channel`.
    pub fn full_obs(&self) -> Vec<f64> {
        let mut enc = self.grid.encode();
        let k = (self.agent_pos.0 * self.grid.height + self.agent_pos.1) * 3;
        enc[k..k + 3].copy_from_slice(&[
            ObjectType::Agent as u8,
            Color::Red as u8,
            self.agent_dir as u8,
        ]);
        enc.into_iter().map(f64::from).collect()
    }

    /// Length of [`state`](Self::state): `STATE_HEADER + width * height * 3`.
    pub fn state_len(&self) -> usize {
        STATE_HEADER + self.grid.width * self.grid.height * 3
    }

    /// The flat state: `[agent_x, agent_y, agent_dir, step_count, carried_obj, carried_color,
    /// grid codes...]` with the grid encoded as [`Grid::encode`] (no agent overlay) and
    /// "carrying nothing" as `(1, 0)` (the empty-cell code).
    pub fn state(&self) -> Vec<f64> {
        let carried = self.carrying.map_or(EMPTY_CODE, |c| c.encode());
        let mut s = vec![
            self.agent_pos.0 as f64,
            self.agent_pos.1 as f64,
            self.agent_dir as f64,
            self.step_count as f64,
            f64::from(carried[0]),
            f64::from(carried[1]),
        ];
        s.extend(self.grid.encode().into_iter().map(f64::from));
        s
    }

    /// Overwrite everything from the first [`state_len`](Self::state_len) entries of `s` (the
    /// caller checks the length). The grid size and `max_steps` are kept. Errors (the world
    /// is left unchanged) when a value is not a small non-negative integer, a code is invalid
    /// (see [`WorldObj::decode`]), the carried object cannot be picked up, the agent is not
    /// strictly inside the grid, its direction is not in `0..4`, or its cell holds an object
    /// it cannot overlap.
    pub fn set_state(&mut self, s: &[f64]) -> Result<(), String> {
        let int = |i: usize| -> Result<usize, String> {
            let v = s[i];
            if v >= 0.0 && v <= u32::MAX as f64 && v.fract() == 0.0 {
                Ok(v as usize)
            } else {
                Err(format!("state[{i}] = {v} is not a non-negative integer"))
            }
        };
        let byte = |i: usize| -> Result<u8, String> {
            u8::try_from(int(i)?).map_err(|_| format!("state[{i}] = {} is not a code", s[i]))
        };
        let (w, h) = (self.grid.width, self.grid.height);
        let mut grid = Grid::new(w, h);
        for x in 0..w {
            for y in 0..h {
                let k = STATE_HEADER + (x * h + y) * 3;
                grid.set(
                    x,
                    y,
                    WorldObj::decode([byte(k)?, byte(k + 1)?, byte(k + 2)?])?,
                );
            }
        }
        let carrying = match WorldObj::decode([byte(4)?, byte(5)?, 0])? {
            Some(c) if !c.can_pickup() => return Err(format!("cannot carry {c:?}")),
            c => c,
        };
        let agent_pos = (int(0)?, int(1)?);
        if !(1..w - 1).contains(&agent_pos.0) || !(1..h - 1).contains(&agent_pos.1) {
            return Err(format!(
                "agent position {agent_pos:?} not inside the outer wall"
            ));
        }
        if grid
            .get(agent_pos.0, agent_pos.1)
            .is_some_and(|c| !c.can_overlap())
        {
            return Err(format!(
                "agent at {agent_pos:?} stands on an object it cannot overlap"
            ));
        }
        let agent_dir = int(2)?;
        if agent_dir >= 4 {
            return Err(format!("agent direction {agent_dir} not in 0..4"));
        }
        *self = Self {
            grid,
            agent_pos,
            agent_dir,
            carrying,
            step_count: int(3)?,
            max_steps: self.max_steps,
        };
        Ok(())
    }
}

/// Largest code of each observation channel (object 10 = agent, colour 5 = grey, state 3 = the
/// largest agent direction), for [`normalize_obs`].
pub const OBS_CHANNEL_MAX: [f64; 3] = [10.0, 5.0, 3.0];

/// Optional normalisation of an observation from these environments: divides each
/// channel by its largest code ([`OBS_CHANNEL_MAX`]) so every entry lies in `[0, 1]`. The
/// environments themselves return raw codes like MiniGrid's `FullyObsWrapper`.
pub fn normalize_obs(obs: &mut [f64]) {
    for (i, v) in obs.iter_mut().enumerate() {
        *v /= OBS_CHANNEL_MAX[i % 3];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for obj in 0u8..=10 {
            for color in 0u8..=6 {
                for state in 0u8..=3 {
                    if let Ok(Some(o)) = WorldObj::decode([obj, color, state]) {
                        assert_eq!(o.encode(), [obj, color, state]);
                    }
                }
            }
        }
        assert_eq!(WorldObj::decode(EMPTY_CODE), Ok(None));
        for bad in [
            [0, 0, 0],
            [10, 0, 0],
            [1, 1, 0],
            [2, 5, 1],
            [4, 4, 3],
            [11, 0, 0],
            [2, 6, 0],
        ] {
            assert!(WorldObj::decode(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn tables_are_indexed_by_code() {
        for (i, t) in ObjectType::ALL.iter().enumerate() {
            assert_eq!(*t as usize, i);
        }
        for (i, c) in Color::ALL.iter().enumerate() {
            assert_eq!(*c as usize, i);
        }
        for (i, a) in Action::ALL.iter().enumerate() {
            assert_eq!(*a as usize, i);
        }
        assert_eq!(ObjectType::from_code(11), None);
        assert_eq!(Color::from_code(6), None);
        assert_eq!(Action::from_index(7), None);
    }

    #[test]
    fn encode_order_is_x_major() {
        let mut g = Grid::new(3, 4);
        g.set(2, 1, Some(WorldObj::goal()));
        let e = g.encode();
        assert_eq!(e.len(), 36);
        assert_eq!(&e[(2 * 4 + 1) * 3..(2 * 4 + 1) * 3 + 3], &[8, 1, 0]);
        assert_eq!(e.iter().filter(|&&v| v == 8).count(), 1);
    }

    #[test]
    fn normalize() {
        let mut o = vec![10.0, 5.0, 3.0, 1.0, 0.0, 0.0];
        normalize_obs(&mut o);
        assert_eq!(o, vec![1.0, 1.0, 1.0, 0.1, 0.0, 0.0]);
    }
}
