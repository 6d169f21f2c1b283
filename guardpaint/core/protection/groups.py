"""The names of the attacker suite's groups (light: the command line's parser reads them without torch).

``mask`` and ``pipeline`` vary the editor (its brush, how it calls the model); the attack list's groups
(:mod:`~guardpaint.core.protection.attacks`) change the image before the edit.
"""
TRANSFORM, PURIFICATION = "transform", "purification"
#: The attack list's groups, in the order the suite runs them.
ATTACK_GROUPS = (TRANSFORM, PURIFICATION)
#: Every group of the suite, in the order it runs.
SUITE_GROUPS = ("mask", "pipeline", *ATTACK_GROUPS)
