from django.urls import path

from reviews.remedies import views

urlpatterns = [
    path("actions/", views.ActionListView.as_view(), name="action_list"),
    path("actions/<int:pk>/", views.ActionDetailView.as_view(), name="action_detail"),
    path("actions/<int:pk>/outcome/", views.ActionOutcomeView.as_view(), name="action_outcome"),
    path("actions/<int:pk>/accept/", views.ActionAcceptView.as_view(), name="action_accept"),
    path("actions/<int:pk>/return/", views.ActionReturnView.as_view(), name="action_return"),
]
