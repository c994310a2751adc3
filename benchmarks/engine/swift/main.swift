import Torch
print(Torch.version)
