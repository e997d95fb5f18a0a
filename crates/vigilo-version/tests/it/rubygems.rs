// Differential tests for rubygems: written with the rubygems module.
