// Differential tests for pep440: written with the pep440 module.
