/// Simulated bases (placeholder until the simulator lands).
enum BaseSimulation {}
