"""Check functions, one module per rule family; each function is bound to rules/<family>.yaml."""
