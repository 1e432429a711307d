"""The CIFAR-10 style CNN of the lecture ("CNN: Image Classification"):
conv(3,6,5) – pool – conv(6,16,5) – pool – fc120 – fc84 – fc10, with a training loop, accuracy
and the confusion matrix, and a synthetic image set that stands in for CIFAR-10 offline."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class CifarCNN(nn.Module):
    def __init__(self, num_classes: int = 10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, num_classes)

    def forward(self, x):  # (B, 3, 32, 32)
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)  # (B, 6, 14, 14)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)  # (B, 16, 5, 5)
        x = x.flatten(1)  # (B, 400)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)  # (B, num_classes)


def accuracy(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return (logits.argmax(-1) == y).float().mean()


def confusion_matrix(pred: torch.Tensor, y: torch.Tensor, num_classes: int) -> torch.Tensor:
    """C[i, j] = number of examples of true class i predicted as j (int64)."""
    index = y.long() * num_classes + pred.long()
    return torch.bincount(index, minlength=num_classes ** 2).view(num_classes, num_classes)


def synthetic_images(n: int, num_classes: int, generator: torch.Generator, size: int = 32):
    """Class-dependent images: each class is a fixed random low-frequency colour pattern
    (drawn from a generator seeded by the class count, so train and test share it) plus noise."""
    proto_gen = torch.Generator().manual_seed(1000 + num_classes)
    protos = torch.randn(num_classes, 3, 4, 4, generator=proto_gen)
    protos = F.interpolate(protos, size=(size, size), mode="bilinear", align_corners=False)
    y = torch.randint(0, num_classes, (n,), generator=generator)
    x = protos[y] + 0.8 * torch.randn(n, 3, size, size, generator=generator)
    return x, y


def train_classifier(model: nn.Module, X: torch.Tensor, y: torch.Tensor, epochs: int, lr: float,
                     batch_size: int, generator: torch.Generator) -> list[float]:
    """Mini-batch Adam on cross-entropy; returns the mean loss of every epoch."""
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        order = torch.randperm(X.shape[0], generator=generator)
        total = 0.0
        for start in range(0, X.shape[0], batch_size):
            idx = order[start:start + batch_size]
            loss = F.cross_entropy(model(X[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        losses.append(total / X.shape[0])
    return losses


def train_cnn(X_train, y_train, seed: int) -> dict:
    """Train CifarCNN on (X_train, y_train) from the initialisation torch.manual_seed(seed)
    gives; return its weights, ``dict(model.state_dict())``."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = CifarCNN(int(y_train.max()) + 1 if y_train.numel() else 10)
    gen = torch.Generator().manual_seed(seed)
    train_classifier(model, X_train, y_train, epochs=3, lr=3e-3, batch_size=32, generator=gen)
    return dict(model.state_dict())
