"""The noise generator's training, its one-pass protection and its evaluation (the network is in
``guardpaint.models.noise_generator``)."""
