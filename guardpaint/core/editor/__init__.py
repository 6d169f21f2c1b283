"""What the attacker's editor computes, defined once: its views of an image for a mask (crop, resize,
paste), the regions it splits a mask into, the 8-bit editor and the differentiable edit built on them."""
