"""Floor 0, the leaf helpers every other floor may use: the one-line user error (`errors`), JSON kinds
(`json_kind`), numbers and names as text (`format`), atomic writes (`atomic`), input and output path
checks (`paths`), signal handling (`signals`), the "not supported" marker (`not_supported`) and the
version. Nothing here imports anything else from trtui."""
