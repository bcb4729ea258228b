// The shape every aggregate's state has: a starting value and a fold over its stream's events.
// Decide functions live beside each aggregate (one per command); the command handler (src/commands)
// loads a stream with `evolve`, calls the decide function and appends what it returns.

export type Aggregate<State, Event extends { type: string; data: unknown }> = {
  /** names the aggregate in caches and logs */
  name: string;
  initialState: () => State;
  /** pure; must return a new value rather than change `state` (states are cached and shared) */
  evolve: (state: State, event: Event) => State;
};
