"""Calibrating an encoder from oracle rewards: config, environment, learners, the run loop, its folder."""
