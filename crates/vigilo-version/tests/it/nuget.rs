// Differential tests for nuget: written with the nuget module.
