"""Generated gRPC contracts: do not edit (make proto)."""
