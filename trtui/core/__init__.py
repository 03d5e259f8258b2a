"""Floor 1, the values that cross threads and processes and the pure rules on them: the data model
(`model`: layer and latency samples, run facts, start-up steps), kernel records, run options and
reconfiguration requests, the wording of run facts, precision, clock-throttle reasons, power-rail roles,
tactic families and start-up step timing. Imports only `trtui.common`."""
