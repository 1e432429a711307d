OK_FORMAT = True

test = {   'name': 'q9',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> ids, types = bert_pair_encoding([5, 6], [7], 2, 3)\n'
                                               '>>> assert ids.dtype == types.dtype == torch.long\n'
                                               '>>> assert ids.tolist() == [2, 5, 6, 3, 7, 3] and types.tolist() == [0, 0, 0, 0, 1, 1]\n',
                                       'hidden': False,
                                       'locked': False},
                                   {   'code': '>>> sents = [[10, 11], [12], [13, 14, 15]]\n'
                                               '>>> out = nsp_pairs(sents, torch.tensor([0.9, 0.1]), torch.tensor([2, 0]), 2, 3, 0)\n'
                                               ">>> assert out['next_sentence_label'].tolist() == [0, 1]\n"
                                               ">>> assert out['input_ids'].tolist() == [[2, 10, 11, 3, 12, 3], [2, 12, 3, 10, 11, 3]]\n"
                                               ">>> assert out['token_type_ids'].tolist() == [[0, 0, 0, 0, 1, 1], [0, 0, 0, 1, 1, 1]]\n"
                                               '>>> out = nsp_pairs(sents[1:], torch.tensor([0.7]), torch.tensor([0]), 2, 3, 0)\n'
                                               ">>> assert out['input_ids'].tolist() == [[2, 12, 3, 13, 14, 15, 3]] and out['attention_mask'].tolist() == [[1] * 7]\n"
                                               '>>> out = nsp_pairs(sents[:2], torch.tensor([0.3]), torch.tensor([1]), 2, 3, 0, nsp_probability=0.2)\n'
                                               ">>> assert out['next_sentence_label'].tolist() == [0]\n",
                                       'hidden': False,
                                       'locked': False}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
