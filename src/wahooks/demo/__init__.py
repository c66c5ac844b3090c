"""`wahooks demo`: the gateway, the simulator and a sample receiving app, end to end."""
